"""PhotoHash trainer: learns hash models from unlabeled photos (WCH, NSH, a contrastive baseline).

Depends on torch and torchvision (the ``[train]`` extra) and on ``engine`` for the catalog and
image decoding; the engine never imports this package.
"""
