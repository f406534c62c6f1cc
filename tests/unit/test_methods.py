"""The three losses on tiny hand-made inputs: known values, slow reference loops, gradients; the
closed-form whitening on a case whose answer is known."""

from __future__ import annotations

import math

import pytest

torch = pytest.importorskip("torch", reason="needs the [train] extra (torch)")
F = torch.nn.functional

from trainer.methods import METHODS  # noqa: E402
from trainer.methods.baseline import bernoulli_kl, nt_xent  # noqa: E402
from trainer.methods.common import sign_ste  # noqa: E402
from trainer.methods.nsh import sorted_nce  # noqa: E402
from trainer.methods.wch import mutual_attention, patch_similarity, similarity_weights, wch_loss  # noqa: E402
from trainer.sorting import soft_sort  # noqa: E402


def gen(seed):
    return torch.Generator().manual_seed(seed)


def test_sign_ste_forward_sign_backward_identity():
    x = torch.tensor([-0.3, 0.0, 0.7], requires_grad=True)
    y = sign_ste(x)
    assert y.tolist() == [-1.0, 1.0, 1.0]
    y.sum().backward()
    assert x.grad.tolist() == [1.0, 1.0, 1.0]


# -- WCH -------------------------------------------------------------------------------------------


def test_wch_with_identity_weights_is_infonce():
    h1 = torch.randn(6, 16, generator=gen(0)).sign()
    h2 = torch.randn(6, 16, generator=gen(1)).sign()
    logits = h1 @ h2.T / (16 * 0.3)
    infonce = F.cross_entropy(logits, torch.arange(6))
    balance = h1.mean(0).pow(2).mean()
    assert torch.allclose(wch_loss(h1, h2, torch.eye(6)), infonce + balance)


def test_unrelated_photos_give_identity_weights():
    # Each photo's tokens point along its own axes: patch similarity 1 with itself, 0 with others.
    n, tokens, dim = 4, 3, 12
    x = torch.zeros(n, tokens, dim)
    for i in range(n):
        for p in range(tokens):
            x[i, p, i * tokens + p] = 1.0
    s = patch_similarity(x, x)
    assert torch.allclose(s, torch.eye(n), atol=1e-6)
    w = similarity_weights(s, 0.2)
    assert torch.allclose(w.diagonal(), torch.ones(n))
    assert (w - torch.eye(n)).abs().max() < math.exp(-1 / 0.2) + 1e-6  # e^{-5} ≈ 0.0067


def test_patch_similarity_matches_a_loop():
    t1, t2 = torch.randn(5, 4, 8, generator=gen(2)), torch.randn(5, 6, 8, generator=gen(3))
    expected = torch.zeros(5, 5)
    for i in range(5):
        for j in range(5):
            cos = torch.stack([torch.stack([F.cosine_similarity(t1[i, p], t2[j, q], dim=0) for q in range(6)])
                               for p in range(4)])
            expected[i, j] = cos.max(dim=1).values.mean()
    assert torch.allclose(patch_similarity(t1, t2, chunk=2), expected, atol=1e-6)


def test_mutual_attention_matches_a_loop():
    x1, x2 = torch.randn(2, 3, 4, generator=gen(4)), torch.randn(2, 3, 4, generator=gen(5))
    a, b = mutual_attention(x1, x2)
    for n in range(2):
        c = torch.stack([torch.stack([F.cosine_similarity(x1[n, p], x2[n, q], dim=0) for q in range(3)])
                         for p in range(3)])
        for q in range(3):
            assert torch.allclose(a[n, q], (torch.softmax(c[:, q], 0)[:, None] * x1[n]).sum(0), atol=1e-6)
        for p in range(3):
            assert torch.allclose(b[n, p], (torch.softmax(c[p, :], 0)[:, None] * x2[n]).sum(0), atol=1e-6)


# -- NSH -------------------------------------------------------------------------------------------


def sorted_nce_loop(b1, b2, z1, z2, m, tau):
    """DESIGN.md 8.2 written out, one photo at a time."""
    n, d = b1.shape
    total = 0.0
    for i in range(n):
        s_i = torch.stack([b1[i] @ b2[j] / (2 * d) + 0.5 for j in range(n)])
        p_i = soft_sort(s_i, 1.0 / d)
        e_i = p_i @ z1
        c = torch.stack([F.cosine_similarity(e_i[r], z2[i], dim=0) for r in range(n)]) / tau
        neg = torch.exp(c[m:]).sum()
        total += sum(-torch.log(torch.exp(c[r]) / (torch.exp(c[r]) + neg)) for r in range(m)) / m
    return total / n


def test_sorted_nce_matches_the_pseudocode():
    b1, b2 = torch.tanh(torch.randn(6, 8, generator=gen(6))), torch.tanh(torch.randn(6, 8, generator=gen(7)))
    z1 = F.normalize(torch.randn(6, 5, generator=gen(8)), dim=1)
    z2 = F.normalize(torch.randn(6, 5, generator=gen(9)), dim=1)
    assert torch.allclose(sorted_nce(b1, b2, z1, z2, positives=2, tau=0.3), sorted_nce_loop(b1, b2, z1, z2, 2, 0.3),
                          atol=1e-5)


def test_sorted_nce_known_value_when_all_latents_agree():
    # Every cosine is 1: each positive competes with n - m equal negatives: loss = log(1 + n - m).
    z = F.normalize(torch.ones(5, 3), dim=1)
    b = torch.tanh(torch.randn(5, 8, generator=gen(10)))
    assert torch.allclose(sorted_nce(b, b, z, z, positives=2, tau=0.3), torch.tensor(math.log(1 + 3)), atol=1e-5)
    with pytest.raises(ValueError, match="positives must be between 1 and batch size - 1"):
        sorted_nce(b, b, z, z, positives=5)


# -- baseline --------------------------------------------------------------------------------------


def test_nt_xent_matches_a_loop():
    a, b = torch.randn(4, 8, generator=gen(11)), torch.randn(4, 8, generator=gen(12))
    x = F.normalize(torch.cat([a, b]), dim=1)
    total = 0.0
    for k in range(8):
        partner = (k + 4) % 8
        sims = torch.stack([x[k] @ x[j] / 0.3 for j in range(8) if j != k])
        total += -(x[k] @ x[partner] / 0.3 - torch.logsumexp(sims, 0))
    assert torch.allclose(nt_xent(a, b, 0.3), total / 8, atol=1e-5)


def test_bernoulli_kl_known_values():
    q = torch.full((2, 3), 0.3)
    assert bernoulli_kl(q, q).item() == pytest.approx(0.0, abs=1e-7)
    p1, p2 = torch.tensor([[0.5]]), torch.tensor([[0.25]])
    expected = 0.5 * math.log(0.5 / 0.25) + 0.5 * math.log(0.5 / 0.75) + 0.25 * math.log(0.25 / 0.5) + 0.75 * math.log(0.75 / 0.5)
    assert bernoulli_kl(p1, p2).item() == pytest.approx(expected, rel=1e-5)


# -- all methods -----------------------------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(n for n, m in METHODS.items() if not getattr(m, "closed_form", False)))
def test_a_few_steps_lower_the_loss_and_every_parameter_learns(name):
    torch.manual_seed(0)
    method = METHODS[name](dim=24, bits=16)
    shape = (8, 9, 24) if method.needs_tokens else (8, 24)
    base = torch.randn(*shape, generator=gen(13))
    view1 = base + 0.1 * torch.randn(*shape, generator=gen(14))
    view2 = base + 0.1 * torch.randn(*shape, generator=gen(15))
    opt = torch.optim.Adam(method.parameters(), lr=1e-3)
    first = method.loss(view1, view2)
    first.backward()
    assert all(p.grad is not None and torch.isfinite(p.grad).all() for p in method.parameters())
    opt.step()
    for _ in range(30):
        opt.zero_grad()
        loss = method.loss(view1, view2)
        loss.backward()
        opt.step()
    assert torch.isfinite(loss) and loss.item() < first.item()
    codes = method.encode(base)
    assert codes.shape == (8, 16) and codes.abs().max() < 1


def test_whitening_keeps_what_edits_do_not_change():
    """Photos differ along dims 0-7 (small) and 8-15; edits move every view a lot along dims 8-15
    (more than photos differ there) and barely along 0-7. Plain sign hashing is dominated by 8-15;
    whitening must find 0-7, so views of one photo get nearly one code and different photos do not."""
    n, views, dim = 200, 6, 16
    photos = torch.cat([0.3 * torch.randn(n, 8, generator=gen(1)), torch.randn(n, 8, generator=gen(2))], 1)
    noise = torch.cat([0.02 * torch.randn(n, views, 8, generator=gen(3)),
                       3.0 * torch.randn(n, views, 8, generator=gen(4))], 2)
    cached = photos[:, None] + noise
    method = METHODS["whitening"](dim=dim, bits=8, keep=8)
    method.fit(cached)
    bits = method.encode(cached.reshape(-1, dim)).sign().reshape(n, views, 8)
    flips_within = (bits[:, 0:1] != bits[:, 1:]).float().sum(-1).mean()
    flips_between = (bits[:, 0] != bits[:, 0].roll(1, 0)).float().sum(-1).mean()
    assert flips_within < 0.5 and flips_between > 3, (flips_within, flips_between)
    plain = (cached - cached.mean((0, 1))).reshape(-1, dim) @ torch.randn(dim, 8, generator=gen(5))
    plain_bits = plain.sign().reshape(n, views, 8)
    assert (plain_bits[:, 0:1] != plain_bits[:, 1:]).float().sum(-1).mean() > 2  # what whitening fixes
    again = METHODS["whitening"](dim=dim, bits=8, keep=8)
    again.fit(cached)
    assert torch.equal(again.projection, method.projection)  # closed form, seeded rotation
    assert method.encode(cached[:, 0]).abs().max() < 1
    with pytest.raises(ValueError, match="keep must be between"):
        METHODS["whitening"](dim=16, bits=8, keep=32)


def test_impossible_settings_are_refused():
    with pytest.raises(ValueError, match="tau must be positive"):
        METHODS["wch"](dim=8, bits=16, tau=0)
    with pytest.raises(ValueError, match="bits must be positive"):
        METHODS["nsh"](dim=8, bits=0)


def test_wch_adapter_starts_as_identity_and_a_pooled_token_encodes_as_its_grid():
    torch.manual_seed(0)
    wch = METHODS["wch"](dim=8, bits=16).eval()
    grid = torch.randn(3, 9, 8)
    assert torch.equal(wch.adapter(grid), grid)
    with torch.no_grad():
        wch.adapter.weight.add_(0.1 * torch.randn(8, 8))  # as after training: still linear
        assert torch.allclose(wch.encode(grid), wch.encode(grid.mean(dim=1, keepdim=True)), atol=1e-5)


def test_nsh_sorter_temperature_falls_from_smooth_to_the_papers():
    """τ_s·d goes geometrically from 16 to 1 as training runs (docs/benchmark.md: +4.5 points of Imagenette mAP on a
    frozen backbone against the paper's constant 1/d), and (1, 1) is the paper's."""
    from trainer.methods.nsh import NSH

    nsh = NSH(dim=8, bits=16)
    for progress, expected in ((0.0, 16 / 16), (0.5, 4 / 16), (1.0, 1 / 16)):
        nsh.progress = progress
        assert math.isclose(nsh.sort_tau, expected)
    paper = NSH(dim=8, bits=16, sort_anneal=(1.0, 1.0))
    paper.progress = 0.3
    assert math.isclose(paper.sort_tau, 1 / 16)
    with pytest.raises(ValueError, match="sort_end"):
        NSH(dim=8, bits=16, sort_anneal=(4.0, 0.0))
