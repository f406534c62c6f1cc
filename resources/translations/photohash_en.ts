<?xml version="1.0" encoding="utf-8"?>
<!DOCTYPE TS>
<TS version="2.1" language="en" sourcelanguage="en">
<context>
    <name>BulkDialog</name>
    <message>
        <source>Bulk decisions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply to:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All groups ({n:,})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply the rule to every group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The filtered groups ({n:,})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apply the rule only to the groups the table shows now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rule:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the &amp;largest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In each group keep the photo with the most pixels (then the larger file) and mark its copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the &amp;oldest</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In each group keep the photo taken first (then the file made first) and mark its copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep the one in a &amp;folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Where a group has a copy in the folder, keep it and mark its other copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Mark everything in a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark every copy inside the folder, keeping a copy outside it; nothing else is marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Never touch a folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Un-mark everything inside the folder, now and in every later bulk rule</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fol&amp;der:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the folder the rule is about</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder the rule is about: type its path or choose it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Choose…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pick the folder in a file dialog</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Never touched: {folders}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the rule would do</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the rule would do: nothing moves until you say so</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Groups left as they are</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark in the re&amp;view</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Set these keepers and marks in the review; nothing moves yet</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to &amp;trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move the marked photos to the system trash as one batch: one Undo (Ctrl+Z) puts them all back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close without changing anything</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a folder for this rule.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counting…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Counting… {done:,} of {total:,} groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>This would {what}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Left as is: {why}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>CompareView</name>
    <message>
        <source>not enough memory to show this image</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot decode ({error})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare {left} and {right}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare two photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Side by side</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the two photos next to each other (1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blink</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show one photo at a time in the same place; B or Space shows the other (2)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Swipe</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One photo left of a divider, the other right of it; drag the divider or press Shift+←/→ (3)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show where the photos differ: black is the same, bright is different, amplified ×{gain} (4)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>View mode</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit the photos in their panes (F or 0)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1:1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the left photo&apos;s pixels one to one, the right photo at the same scale; again: back to Fit (Z or Ctrl+1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom out (- or Ctrl+wheel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom out</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom in (+ or Ctrl+wheel)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom in</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Fit ({percent} %)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The zoom: how large the left photo&apos;s pixels are shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Zoom level</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show other</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the other photo in the same place (B or Space)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Auto blink</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Switch between the two photos by itself every {ms} ms (A)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drag or use the arrow keys to pan, Ctrl+wheel to zoom, double-click for 1:1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The two photos&apos; facts; rows that differ are in bold</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Rows in bold differ between the two photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the view shows</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close the comparison (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{label}: {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot show {name}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}: full resolution not shown: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{percent} %</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Blinking, showing {label}: {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Swipe: {left} on the left of the divider, {right} on the right</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference of {left} and {right}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loading {name}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot compare: {name} cannot be read ({reason})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comparing…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Showing {label}: {name} (B or Space: the other)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Left of the divider: {left} · right of it: {right}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Difference of {left} and {right}, amplified ×{gain}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Comparing the photos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The pixels are identical (compared at {size}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{share} of the pixels differ by more than {threshold} levels of 255; the largest difference is {largest} (compared at {size}).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{w} × {h} ({mp} MP)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>none recorded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>yes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resolution</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Format</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Capture date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Camera</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>GPS position</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} bytes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Differs between the two photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The same for both photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}, {label}: {value}, differs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{title}, {label}: {value}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt; 0.1 %</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>DuplicatesView</name>
    <message>
        <source>How alike photos must be to be grouped: left, only the closest; right, look-alikes too (nothing marked there). Double-click: back to copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How alike photos must be to be grouped as similar. Double-click: back to Copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the similarity code, {method} {bits} bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model&apos;s one code, {bits} bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How alike photos must be to be grouped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Back to the duplicate radius, where the copies to trash are marked for you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Identical</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Series</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Videos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Section</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The same photo more than once (re-saved, resized, edited): the extra copies are marked for the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos like each other (same subject, same scene), for browsing: nothing in them is marked for the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The same video more than once (re-encoded, resized, trimmed), found by its frames: the extra copies are marked for the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies of videos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop reading photos and show what is checked so far</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move marked to trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move this group&apos;s marked photos to the system trash (Del)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trash extras in all groups…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move the marked photos of every group to the system trash: first it asks, with how many photos and how much space</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put back the photos last moved to the trash (Ctrl+Z)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>↑/↓ group · ←/→ video · K keep this · Space mark · Del trash marked · Ctrl+Z undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>↑/↓ group · ←/→ photo · K keep this · Space mark · C compare with the photo kept · Del trash marked · Ctrl+Z undo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar subjects (the usual)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Closer than usual: fewer photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looser than usual: more photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies of videos, frame by frame</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies, each checked pixel by pixel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies ({level}), each checked pixel by pixel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{percent} % alike or more, by the hash alone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{percent} % alike or more: look-alikes too, nothing marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · radius {radius} of {bits} bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bursts and re-takes: the same scene shot moments apart. Nothing in them is marked for the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Series come from checking the photos, which happens at the duplicate radius only: double-click the slider or press Duplicates to go back to it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Series are found by checking the photos, not by a radius: choose Copies to slide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies of videos are found by matching their frames in order, not by a radius: choose Copies to slide</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finding duplicates…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finding series…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finding similar photos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finding copies of videos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking which photos are copies: reading {done} of {total} photos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping: showing what is checked so far…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trash marked in all series…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trash marked in all groups…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trash extra videos in all groups…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move this group&apos;s marked videos to the system trash (Del)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> of copies, each checked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · {marked} marked by you · {size} to free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{series}&lt;/b&gt; of photos taken moments apart{marks}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} series</source>
        <comment>one</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} series</source>
        <comment>several</comment>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> — nothing is marked; keep the best shot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No series: no bursts or re-takes of the same scene.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{groups}&lt;/b&gt; of copies of videos, by their frames · {marked} marked · {size} to free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No copies of videos found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (by {code})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{groups}&lt;/b&gt; of similar photos{by}{marks}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> — nothing is marked; browse them, mark by hand</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photos this alike: slide towards Similar to see more.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;{groups}&lt;/b&gt;{checked} · {marked} marked · {size} to free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No copies found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photos this alike.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looser than copies: {photos} only similar. Nothing is marked for you here; mark photos by hand.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped: some pairs were not checked; they are shown by their hash and not marked.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} marked, {size}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>nothing marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Series {number} of {total}: {marked}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Group {number} of {total}: {marked}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keeps from the copies marked: {what}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Compare shows photos: the cards show each video&apos;s frames</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Marked for the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Not marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{marked}: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} of them is a shot of a series, marked by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} of them are shots of a series, marked by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} of them is only similar to the photo kept, marked by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} of them are only similar to the photo kept, marked by you.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move copies of videos to the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} video</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} videos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move duplicates to the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move photos to the trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Moved {photos} to the trash. Ctrl+Z puts them back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Moved {photos} to the trash, with {more} that go with them. Ctrl+Z puts them back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} file</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} files</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Some videos were not moved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put back {count} files.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Some photos were not moved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move {videos} from {groups} to the trash?

This frees {size}. The video kept in each group stays where it is. You can undo this (Ctrl+Z) or restore the files from the system trash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move {photos} from {groups} to the trash?{note}

This frees {size}. The photo kept in each group stays where it is. A photo&apos;s RAW, its sidecars (.xmp) and a Live Photo&apos;s video go with it.{carry} You can undo this (Ctrl+Z) or restore the files from the system trash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> What a copy knows that the photo kept lacks (capture date, place, keywords, rating) is kept in the kept photo&apos;s .xmp sidecar.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the copies knew is kept in {count} sidecar (.xmp).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the copies knew is kept in {count} sidecars (.xmp).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing was moved</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Some photos could not be put back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing to undo</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>FolderTreeModel</name>
    <message>
        <source>All photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Outside the library folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1, here and in its subfolders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; %1 unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{folder}: {photos}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1 photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GroupsTable</name>
    <message>
        <source>All kinds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show only the groups of one kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind of group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Filter by name or folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show only the groups with a photo whose name or folder holds this text</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Bulk…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep or mark by a rule across all groups or the filtered ones; shows what it would move first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Bulk decisions</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Groups shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicate groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>One row per group: Enter or a double-click shows its photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 series</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n:,} series</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Showing {shown:,} of {total:,} series</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 group</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n:,} groups</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Showing {shown:,} of {total:,} groups</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>GroupsTableModel</name>
    <message>
        <source>Photo kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Space to free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kind</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name of the photo kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Space the photos marked in the group would free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many photos the group holds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>By hash only</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder of the photo kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exact copies (same bytes), copies checked pixel by pixel, copies by the hash only (not checked), series (bursts and re-takes, never marked), similar photos (never marked) or copies of videos (by their frames)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When the photo kept was taken (else when its file was last changed)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Video kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The name of the video kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Space the videos marked in the group would free</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Videos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many videos the group holds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The folder of the video kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When the video kept was last changed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Exact copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Series</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (click to sort)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>1 photo marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n:,} photos marked</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Taken {when}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File last changed {when} (no capture date)</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>LibraryView</name>
    <message>
        <source>Looking for photos: {found} found</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{done} of {total} photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} unchanged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{rate}/s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>about {seconds} s left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>about {minutes} min left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Library folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checked folders are reference folders: their photos are never proposed for removal. Space: check or uncheck · Del: remove from the library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checked folders are reference folders: their photos are never proposed for removal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos to the library and scan it (Ctrl+Shift+O)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Remove</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop watching the chosen folder; no photo is touched (Del in the folder list)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hash new and changed photos (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan status</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder tree</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a folder to show only its photos and its subfolders&apos;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;&amp;Browse&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Files that could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Why it could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or hide the files that could not be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Fol&amp;ders&lt;/b&gt; &lt;span style=&apos;color:gray&apos;&gt;(✓ = reference, never trashed)&lt;/span&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Double-click or Enter: find similar photos · Menu key or Shift+F10: more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Enter: find similar photos · Menu key or Shift+F10: more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find similar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>More</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;p&gt;Which photos the grid shows:&lt;/p&gt;&lt;ul&gt;&lt;li&gt;&lt;b&gt;All photos&lt;/b&gt;: every photo that could be read&lt;/li&gt;&lt;li&gt;&lt;b&gt;Unreadable&lt;/b&gt;: the files that could not be read as photos&lt;/li&gt;&lt;li&gt;&lt;b&gt;Possible copies&lt;/b&gt;: byte-identical copies, and the photos whose codes are close to another photo&apos;s; the Duplicates screen checks each pair by reading the photos and calls only true copies copies, so it may show fewer&lt;/li&gt;&lt;li&gt;&lt;b&gt;In reference folders&lt;/b&gt;: the photos of the checked folders, never proposed for removal&lt;/li&gt;&lt;/ul&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sho&amp;w:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sort by</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sort the photos by the date they were taken (else the file&apos;s date), their name, their size or their folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Date taken</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Name</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>S&amp;ort:</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{folder}: not found (unplugged drive or moved folder); its photos stay in the catalog</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No library folder can be reached (%1: not found).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>folder not found (unplugged drive or moved folder)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel scan</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop after the photos in hand; the next scan resumes (F5)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looking for photos…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping after the photos in hand…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan cancelled: {hashed} hashed, {skipped} unchanged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan finished: {hashed} hashed, {skipped} unchanged</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, {count} unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>, {count} gone from disk</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{summary} ({seconds} s).</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The scan stopped: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>… and %1 more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show: Unreadable lists them all in the grid</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Could not be read (%1)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show or hide the files the scan could not read, and why</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every file the scan found could be read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>expanded</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>collapsed</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cannot read the catalog: %1</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Oldest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Newest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>A to Z</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Z to A</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Smallest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Largest first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folders A to Z</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Folders Z to A</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Sort direction</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>%1; click for %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>All photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Unreadable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>In reference folders</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Possible copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{filter} ({count})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photos yet: add a folder and scan it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 unreadable files&lt;/b&gt;</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 photos&lt;/b&gt; · %2</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;%1 of %2 photos&lt;/b&gt; · %3</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Find similar</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open containing folder</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>MainWindow</name>
    <message>
        <source>Library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Search</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;File</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Add folder…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Add a folder of photos to the library and scan it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Open photo to search…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find the photos of the library like a photo of your choice</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Rescan library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hash new and changed photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Quit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Edit</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Undo move to trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Put the photos last moved to the trash back where they were</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Preferences…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hash model, radii, which copy to keep, thumbnails, appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Tools</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Find duplicates</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the Duplicates screen</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Retrain on my library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train a hash model on your own photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Help</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open the &amp;log folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;About PhotoHash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: {title}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file}: {method}, {bits} bits. Change it in Preferences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: not usable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Now using {file}; re-hashing the library…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>About PhotoHash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training is running</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel the training first (it saves its progress), then quit.</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PhotoCard</name>
    <message>
        <source>size unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>length unknown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{percent} % alike</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (distance {distance})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>suggested keeper</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exact copy (same bytes)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>series: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;span style=&apos;color:#b9770e&apos;&gt;only similar&lt;/span&gt;: {alike}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>copy: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>copy by its hash, not checked: {alike}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>with {name} ({format}, {size})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no capture date</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Kept for: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Written to its .xmp sidecar when the copies go to the trash; the photo itself is not changed, and Undo takes it back</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Another shot of the same scene, not a copy: never marked for you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Only similar to the suggested keeper, not a copy of it: never marked for you</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this shot; the others stay as they are (K or Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this video; its copies in the group are marked for the trash (K or Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep this photo; its copies in the group are marked for the trash (K or Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Move to trash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark or unmark this video (Space)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Mark or unmark this photo (Space)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>🔒 reference folder</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>loading…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot read</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>PhotoHash</name>
    <message>
        <source>Something went wrong: {error}

The details were written to {log}. Your photos were not changed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PhotoHash cannot start</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>RetrainDialog</name>
    <message>
        <source>Retraining needs PyTorch, which this installation does not have.

To enable it, install PhotoHash with its training extra:

    pip install &apos;photohash[train]&apos;

(about 1 GB on a CPU-only machine). The app bundle built with PyInstaller leaves the trainer out to stay small; use the pip installation to retrain.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting the trainer (loading PyTorch, which can take half a minute) to find out whether a GPU can do the work…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} seconds</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} minutes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{n} hours</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retrain on my library</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PhotoHash will teach its hash model what &lt;i&gt;your&lt;/i&gt; photos look like. It reads the &lt;b&gt;{photos} photos&lt;/b&gt; of your library (nothing leaves this computer and no photo is changed), trains a new model from them without any labels, checks it, makes it the active model and re-hashes the library in the background. The current model ({model}) stays available in Preferences.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PhotoHash: pHash beside a learned code, as the default model (recommended)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WCH: Weighted Contrastive Hashing (a learned code alone)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NSH: Naturally-Sorted Hashing (a learned code alone)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How the new model learns: the PhotoHash recipe keeps pHash for copies and learns a code beside it; WCH and NSH learn one code alone</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>WCH: Weighted Contrastive Hashing (recommended)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>NSH: Naturally-Sorted Hashing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The second code the PhotoHash recipe learns, for &quot;photos like this one&quot;: search by example and similar photos rank by it. Duplicates are found by the first code.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similarity code method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{bits} bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many times training goes through your photos: more takes longer and may learn a little more</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>torchvision&apos;s cache of MobileNetV2 ImageNet weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backbone weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The file of MobileNetV2 ImageNet weights training starts from (a .pth file)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>B&amp;rowse…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a file of MobileNetV2 ImageNet weights you have</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Download</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download torchvision&apos;s MobileNetV2 ImageNet weights into its cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Method</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Similarity code</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Code &amp;length</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&amp;Epochs</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Backbone &amp;weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training progress</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What the trainer is doing</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trainer&apos;s messages appear here.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trainer&apos;s messages</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Start training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Scan a library of at least a few dozen photos first: there is nothing to learn from yet.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Train a new model on your library&apos;s photos; a cancelled training of the same kind resumes (Enter)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Close this window (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop the training now, without saving (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel the training; it saves its progress, Resume training goes on from there (Esc)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The trainer did not answer ({why}): the time below assumes the processor.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>exit code {code}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the processor (no GPU found)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Apple GPU</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file} in {folder}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training starts from torchvision&apos;s MobileNetV2 ImageNet weights, not on this computer yet: the file {file} ({mb} MB), which torchvision keeps in {folder}. Download fetches it from {url}; or copy it there yourself, or Browse… for a copy you have.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The PhotoHash recipe learns {bits} bits, written beside pHash&apos;s</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How many bits the new model&apos;s code has: more tells more photos apart, and takes more memory</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It runs on &lt;b&gt;{device}&lt;/b&gt; and should take about &lt;b&gt;{time}&lt;/b&gt; for {photos} photos. You can keep using PhotoHash meanwhile, and cancel at any time: starting again resumes.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>MobileNetV2 weights</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>PyTorch weights (*.pth *.pt);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading {file}…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading {file}: {done} of {total} MB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloading {file}: {done} MB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Downloaded {file} into {folder}: ready to train.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download failed: {why}. Put {where} yourself, or Browse… for a copy.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the download stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Download cancelled. Put {where}, or Browse… for a copy.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Resume training</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{file}: not found.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the backbone&apos;s weights first: torchvision&apos;s MobileNetV2 ImageNet weights, {where}. Download puts the file there, or Browse… for a copy.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose the backbone&apos;s weights first (Browse…): torchvision&apos;s MobileNetV2 ImageNet weights, a .pth file.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancel</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Starting the trainer…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · about {time} left</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading your photos, pass {n} of {passes}: {done} of {total}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Reading your photos: {done} of {total}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · loss {loss}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training the similarity code: epoch {epoch} of {epochs}{loss}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training the duplicate code: epoch {epoch} of {epochs}{loss}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training: epoch {epoch} of {epochs}{loss}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Learning which way up your photos are: {done} of {total}{left}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Setting the duplicate radius on photos kept out of training, and edited copies of them: {done} of {total}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>resumed from the checkpoint at epoch {epoch}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>skipped {file}: {why}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Checking the new model…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>wrote {model}: ONNX matches torch on {share} of bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelled. The work so far is saved: Resume training continues it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopped. Resume training continues from the last saved epoch.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the trainer stopped</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Training failed: {why}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The new model was not accepted: {why}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Done in {minutes} min: {name}, {bits} bits is now the active model. The library is being re-hashed in the background.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stopping without saving…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Cancelling: saving a checkpoint… (click Stop now if it does not end)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Stop now</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Retraining is not installed</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SearchView</name>
    <message>
        <source>Photos (*.jpg *.jpeg *.png *.webp *.heic *.heif *.tif *.tiff *.bmp *.gif);;All files (*)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{percent} % alike</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> · distance {distance}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>this photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Open photo…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a photo to look for (Ctrl+O); you can also drop one on the window</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>drop a photo</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The photo searched for</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drop a photo here, open one, or right-click a photo in the library → Find similar.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>How alike the photos shown must be</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Slide right to see photos less like this one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hamming radius</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The largest Hamming distance between the codes of the photos shown</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Most alike</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Less alike</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos like this one</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>at least {percent} % alike</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>all, most alike first</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Find photos like…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>&lt;b&gt;Photos like&lt;/b&gt; {name}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>cannot read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Searching…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (the {count} most alike)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{count} photos{more}, most alike first.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>No photo this alike: slide towards Less alike to see more.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name} is no longer there (moved to the trash or deleted): open another photo, or put it back with Edit → Undo move to trash.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>gone</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>SettingsDialog</name>
    <message>
        <source>Preferences</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Hash model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The model that hashes your photos: changing it hashes the library again</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> (default)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Other file…</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use a hash model file (.onnx) of your own</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Every copy is checked pixel by pixel before it is marked for the trash; photos that only look alike are never called copies.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy to keep: rules in order</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Drag, or Alt+Up / Alt+Down, to reorder: the first rule decides, the next ones break ties</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thumbnail cache size</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Disk space for thumbnails; the oldest are removed beyond it</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Include hidden folders and files when scanning</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also scan folders and files whose names start with a dot</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Appearance</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light or dark colours, or as the system sets them</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Most pixels</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The camera&apos;s RAW, or the photo kept with its RAW</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Larger file, by more than {percent}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Older (capture date, then file date)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Richer metadata (capture date, camera, GPS)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The original&apos;s name and camera, not a copy&apos;s (&quot;IMG_1 (1).jpg&quot;)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Alphabetical path (last resort)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> of {bits} bits</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>the model&apos;s ({radius})</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Use the radius the model was calibrated at</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}: {meaning}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source> MB</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Keep what a copy knows in the photo kept</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>When copies go to the trash, the capture date, place, camera, keywords, rating and title that the photo kept lacks are written to its .xmp sidecar (the photo itself is never changed; Undo takes it back)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Follow the system</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Light</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Dark</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Advanced</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show the hash codes&apos; bits and radii</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Radii (Hamming distance)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Show Hamming distances and radii on the screens</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Beside “92 % alike”, also the distance between the photos’ codes</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>What counts as a copy</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copy to keep</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Thumbnail cache</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Duplicate radius</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Pairs of photos within this Hamming distance are checked as copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Copies</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar radius</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Photos within this Hamming distance count as alike (models with one code)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Similar photos</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Choose a hash model</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>ONNX models (*.onnx)</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model not usable</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finds copies of a photo and photos like each other. Trained on: {what}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finds copies of a photo. Trained on: {what}.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>; similarity code: {method}, {bits} bits, similar radius {radius}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{method}, {bits} bits, backbone {backbone}; duplicate radius {duplicate}, similar radius {similar}{similar_code}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Trained on: {what}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>It cannot be loaded: {reason}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{name}, shipped with PhotoHash</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Tested on {files} photos it was not tuned on, it found {recall:.1%} of the edited copies and called {false} pairs of different photos copies.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>no</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Finds duplicate and similar photos on your computer. Everything runs on this computer: no photo leaves it.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Nothing is deleted: photos you remove go to the system trash, and Undo puts them back.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model: {title}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Before each copy is marked, the two photos are compared pixel by pixel.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Model file: {where}</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Strict</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>The whole photo, the same way up: resized, re-saved or recoloured, not cropped, turned, flipped or re-exposed.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Also cropped, turned, flipped and re-exposed copies. Recommended.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Looks further for heavily edited copies; checking takes about three times as long.</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Normal</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>Loose</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ThumbnailGrid</name>
    <message>
        <source>Photos</source>
        <translation type="unfinished"></translation>
    </message>
</context>
<context>
    <name>ThumbnailModel</name>
    <message>
        <source>cannot read</source>
        <translation type="unfinished"></translation>
    </message>
    <message>
        <source>{caption}, {badge}</source>
        <translation type="unfinished"></translation>
    </message>
</context>
</TS>
