"""The offline detector: characters as blobs of ink on a flat background, heads as the round
bumps on their top outline, faces as round outlines with two eyes in them.  No model, no
download.

It suits what hand-drawn animation mostly is: dark lines (or flat fills) on a plain or flatly
painted background.  It fails on painted or photographic backgrounds (scenery becomes blobs),
on characters that touch scenery lines it cannot tell from the frame's long straight lines, and
on heads hidden behind raised arms (no bump); the ONNX detectors handle those.  A blob that runs
across the whole frame is taken for the background itself, not a body: there the faces decide.
"""

from typing import List, Optional, Sequence, Tuple

import numpy as np

from ..image.masks import (LINE_WIDTH, background_colours, dark_ink, foreground, lines_in_the_dark, night, outlines,
                           soft_light, unlike, without_broken_lines, without_scenery_lines)
from .boxes import Box, Rect, area, cover, cut_edges, inside_share, intersection, union
from .ledge import behind_ledges, level_edges
from .rules import (BACK_REACH, BESIDE, BODY_WIDTH, CHEST_FACE, FACE_IN_HEAD, HEAD_INSIDE, Rules, same_head,
                    head_of, shoulders)

MIN_PICTURE = 16           # pictures smaller than this (pixels) show nobody
WORK_HEIGHT = 360          # analysed at this height: blobs are large, detail is not needed
CLOSE = 0.015              # strokes of one body closer than this share of the height join up
MIN_BLOB = 0.05            # smaller blobs (share of the height) are specks
BUMP = 0.035               # a head stands at least this share of the height above its neighbours
HEAD_WIDTH = 0.04          # and is at least this wide (a raised finger is not a head)
SMALL_PART = 0.15          # a blob this small (share of a body's box) inside that box is part of it
VALLEY = 0.09             # bumps with a shallower dip between them are one head (spiky hair, ears)
# a head's top line traced at the working height, or thinned by compression, breaks into dashes
# where it is faint: in each break's few columns the topmost ink is a strand or the bangs far
# below, and the top outline drops into a slot and climbs back to about the row it left.  Two
# heads side by side dip between their round crowns in a V, step by step.  A break is a slot no
# wider than the gaps the blobs are joined across (twice CLOSE), its sides within BREAK of a
# bump's rise (BUMP) of one row and all of it deeper than that rise below both (a column with no
# ink at all is as deep as any).  A crest beside a bump (CREST) is a second head only where the
# dip between them is still there once the breaks are bridged: a dip made by breaks alone cut one
# head's crown in two, each half followed down as a head of its own, an overlap (spot half,
# colour, shots 25 and 45: B's crown line in dashes beside her hair clip).  The bridged outline
# judges only that split: heads found on it moved (a clip's tip bridged into a plateau took the
# crown's place), and a run cut apart where it met no chin (_touching) kept whole over long hair
# became one head box down to the shoulders, which made the character beside it look far behind
BREAK = 1.0
NECK_STEP = 0.02           # a head's outline is followed down in steps of this share of the height,
SHOULDERS = 1.3            # and ends where it widens by this much within one step (shoulders)
HEAD_DEPTH = 1.1           # or runs this many of its widths below its top (chin and neck)
SHOULDERS_BELOW = 1.2      # a run under several bumps this much wider than their heads widened into shoulders
FACE_SIZE = (0.025, 0.6)   # a face spans this share of the frame height
FACE_SOLIDITY = 0.8        # and is round: this share of its convex hull,
FACE_FULLNESS = 1.12       # and at most this share of the ellipse in its box
EYE_SHARE = 0.15           # an eye covers at most this share of the face
EYE_SPAN = 0.06            # and spans at least this share of its width: specks of a broken line or of
                           # compression noise in a coat's panel are no eyes, even a far face's dot eyes are
HEAD_FULLNESS = (0.7, 1.2) # share of the ellipse in its box a head's silhouette fills,
HEAD_CORNERS = 0.65        # and at most this share of the box's top corners outside that ellipse
HEAD_INK = 0.01           # a head holds at least this share of outline ink (eyes, strands, its outline)
# a head is drawn in curves (its outline, hair, eyes); a box, a crate, a window or a sign is drawn
# in straight lines.  A head box at least RULED_SIZE of the height whose outline ink lies mostly
# (RULED) on straight lines at least RULED_LINE of its shorter side long is a prop.  On the
# development set's tune half, heads that tall had at most 0.49 of their ink on such lines, the
# props and room corners found as heads 0.7-1.0; small heads are left alone (a far figure's head
# is a few pixels of short strokes, and the rules drop far figures anyway)
RULED, RULED_LINE, RULED_SIZE = 0.7, 0.4, 0.1
# so too a face's outline: a cheek, a jaw and the bangs over a face are curves, and a round area
# with two marks in it whose outline is drawn in straight lines (RULED) is a panel: a sleeve's
# panel closed off by a table's edge with specks of its shading in it (sweep half, colour, shot
# 4: two such "faces" at A's elbows made one seated character an overlap), a window's pane, a
# sign.  On the development halves (tune to sweep, both styles, and the people clip) those two
# were the only faces found whose outline was ruled.  A face drawn flatly in straight strokes
# (a straight line of bangs, straight jaw lines) still narrows to its chin: at PANEL_CHIN[0] of
# its height it is under PANEL_CHIN[1] of its widest row (a pointed chin about a fifth, a round
# one about 0.6), where a panel is about as wide as anywhere (the sleeves' 0.9 or more).
# The outline is measured drawn LINE_MARGIN pixels inside a margin, so that a side lying along
# its box's edge counts as a line too
PANEL_CHIN, LINE_MARGIN = (0.9, 0.8), 2
HEAD_ZONE = 0.4            # heads sit in the upper part of a body: lower bumps are hands, feet, props
EDGE = 0.01                # a box this near an edge (share of the height) is cut by it, as the rules judge
TWINS = 0.6                # bumps merged into one run are heads side by side only if each is this share
                           # as wide as the widest (a spike or an ear is much narrower than its head)
# two heads side by side at one height whose hair touches (a dark set, where the coats make no
# blob and only hair, faces and collars stand out) make one head box over both: the dip between
# their crowns is shallow (or a bow, a clip or a strand fills it), so either the lower crown's run
# reaches the higher one's and is dropped as its shoulder, or the two bumps merge as one head's
# tufts and the run under them meets a chin.  Two crowns are two heads when: the second (a crest
# beside the bump, in the head box followed down from it) rises within CREST of a bump's rise
# (BUMP) of the first's top; the narrower crown's run is at least TWINS as wide as the other's,
# the two together spanning CREST_SPAN of the head box's width (a spike, an ear or a bun is narrow
# beside its head; a bow on one side of a crown made the bump and the crown's other side a
# crest, 0.54 of its head box on the tune half; two heads 0.62-0.74 on the probe half); each,
# followed on its own side of the dip, runs CREST_DEEP of the head box's depth down (to a chin
# of its own; a bun ends at the crown it sits on); and CREST_NOTCH or more of the column under
# the dip, that deep, is background: the gap between two chins and necks, where one
# head's face and neck lie under the dip between its buns (probe half, dark set: 0.35-0.5
# background under two fused heads' dip; none under a drawn head's two buns)
CREST, CREST_SPAN, CREST_DEEP, CREST_NOTCH = 0.5, 0.6, 0.35, 0.2
# a close-up's face often shows no two open eyes (closed, one hidden by hair or the frame, eyes
# drawn over the bangs' line): there the head is told by its shape.  A face area (bangs to chin:
# wider than tall) at least CLOSE_FACE of the frame height wide, about round
# (CLOSE_SOLIDITY of its hull: the chin's point and the bangs' zigzag allowed) and clear of the
# frame's sides and bottom, holding FEATURES marks (eyes, closed eyes, nose, mouth) each under
# FEATURE_SHARE of it and away from its sides by FEATURE_MARGIN of its width (a strand hanging at
# its side is no feature), under a rounded top of hair (see _dome) rising at least HAIR_RISE of
# the face's height above it: hair and forehead stand above the brows.  The back of a near head
# has marks (clips, ribbons) in the hair itself, with nothing rising over it; a clock, a plate or
# a lamp has no hair over it, a crate's front is fuller than an ellipse.  A head whose top the
# frame cuts fills both top corners and is left to the other rules
CLOSE_FACE, CLOSE_SOLIDITY, HAIR_RISE = 0.25, 0.65, 0.3
FEATURES, FEATURE_SHARE, FEATURE_MARGIN = 2, 0.45, 0.1
ALONE_ASPECT = (0.6, 1.7)  # a bump taken on its own after its merged run failed is a head only if about
                           # as tall as wide: hair spikes and ears merged into a head's run are narrow
# a flat-background head box holding one outline head box that starts in its top part (within
# CROWN of that head's height of its top: a night head's dark hair line may not show as an outline,
# so the outline box can start at the brows) and covers at most OWN_OUTLINE of its area was widened
# by scenery behind the head (see _own_outlines).  Hair falling to the shoulders or a hood makes a
# silhouette head at most about twice its outline's box; a door's or window's panel joined to it,
# several times that (on the tune half: 0.17-0.27 where it fires, nowhere else)
CROWN, OWN_OUTLINE = 0.5, 0.35
# so too where the flat head box runs on past the outline head and the hair beside it (HAIR_SIDE)
# by PANEL_SIDE of that head's width or more on a side drawn in straight lines (RULED, as a
# prop's, see _panel): a door's or a window's frame, drawn lighter than the character's outline,
# that touches the hair.  A narrow panel joined low at one side leaves the silhouette head under
# three times its outline's box, yet the box holds the panel (scout half, shot 9: a door frame
# beside A's spiky hair, the outline head 0.39 of the flat one; A's head crop held the door and
# A was not named).  Long hair or a second head there is drawn in curves.  The side's lines must
# run straight for PANEL_LINE of the head's height or more (a door's jamb, a window's side): RULED
# asks a share of the side's own size, and a side narrower than the head then asks so little that
# the straighter stretches of wavy strands pass
PANEL_SIDE, PANEL_LINE = 0.25, 0.2
# a flat blob's head box wholly below an outline figure's head in it, its middle within
# BELOW_HEAD of that head's widths across (a figure's shoulders, BODY_WIDTH heads wide), is that
# figure's shoulder, not a head (see _below_head)
BELOW_HEAD = BODY_WIDTH / 2
OUTLINE_INSIDE = 0.9       # an outline figure this much inside a flat blob is (part of) that blob's figure
# strokes traced at the working height (or through compression) break into dashes where a line
# is thin or faint: a face's outline and the rims of glasses over its eyes then close no area,
# and a face looking at us is taken for the back of a head.  Inside a head box that shows no face
# and stands where the rules take such a head for the back of a near head (its middle within
# BACK_REACH of its widths of a side edge), the strokes are closed over gaps of MEND pixels (at the working height) and
# searched again; a head seen from behind shows hair strands running down, no two eyes, however
# its lines are mended.  Only there: elsewhere a face missed costs little (the head still
# counts), and mending every head (check half, line art) shifted what the namer learns from the
# whole clip enough to name a stranger as a main character (3 false A+B)
MEND = 3
# a face alone on a busy set (no body stands out round it) with a second pair of eyes beside it, at
# its eyes' rows, each of them about as big as its own eyes (within EYES_LIKE either way) and as
# far apart, has a second face beside it: two characters at one distance from the camera draw
# their eyes alike.  Its outline broke into dashes wider than MEND (a thin jaw line, long hair's
# strands running into it) and closes no area, while the irises survive the tracing as solid
# marks (EYE_SOLID of their box filled; a dash or a strand is thin).  As for the mended faces
# beside a face (_mended_beside), such a face is added only where it makes the pair an overlap:
# the frame leaves the set, and no character is ever named from it (probe half, line art, shot
# 30: B's face beside A's open to the background, her irises 11x15 and 12x16 pixels against A's
# 12x14 and 8x14, 40 apart against 31; A was named B)
EYES_LIKE, EYE_SOLID = 1.5, 0.5
# a cel character's outline is a line only where the fills on both of its sides are lighter: along
# a dark coat or dark hair against a lighter wall it is the edge of the dark fill, and the outlines
# alone leave the body open (a painted or rendered set, where no flat border colour sets the
# figure apart either: the head's outline closed on its own and a cup and a hand below were taken
# for a second figure, or a dark-haired character beside another was lost).  There the figures
# are found again on the outlines and the dark ink (lines and dark fills, dark in themselves)
# together: the fill closes the body.  A painted wall's blurred tones and a rendered room's lit
# walls are not that dark.  The inked figures only mend the outline figures (see _closed_by_ink):
# a blond head over a dark coat is no dark ink, and the ink alone would cut it off its body.  A
# figure the ink alone finds is taken only where the frame's bottom cuts it (where its ink ends
# above the bottom, a table or a counter in front may end it, and its box would pass for the whole
# figure, named by a body half hidden) and only where its head is at most INKED_HEAD of its box's
# width (long hair over a dark coat runs the silhouette's head on into the shoulders: a head that
# wide would make the characters beside it look far off)
INKED_HEAD = 0.6
# An outline head low in an inked figure's box (below its upper part, HEAD_ZONE) does not say the
# outlines found that figure: it is a cup, a plate or a hand on the table in front of a seated
# character, whose own head the outlines lost (long straight hair over a dark coat on a painted
# wall closes no round head).  Taken as the figure's, it left the character unfound (sweep half,
# colour, shot 13: B seated behind a table with cups and plates, nobody found).  A head of the
# figure's own tops it, and one beside it stands at its head's height; an inked figure whose head
# lies under an outline head, at its shoulders (see _below_head), is that head's dark coat
# the bangs are often drawn over a face's eyes, or its lashes meet the hair's line: the eyes are
# then no marks inside the face's area but dents in its top outline, and the area, bitten into
# twice, is neither round nor holds two eyes (every face of the two main characters on the
# colour sets' night and rendered frames that lost them).  Dents of the face's convex hull
# starting in its top LID share, each DENT_SHARE of the hull and at least DENT_WIDTH of its
# width wide (an anime eye spans a quarter to a half of the face; the dent holds the lid's ink
# too), are eyes when two stand side by side as _eyes wants marks to and a mark inside the area
# (the nose, the mouth) lies between and below them; filled back in, the area must be as round
# as a face (FACE_SOLIDITY).  A hand's or a sleeve's loop is bitten into from its sides, not
# twice from its top; a gap between a lid, a brow and a strand (dents, no mouth under them)
# holds nothing
LID, DENT_SHARE, DENT_WIDTH = 0.25, (0.05, 0.25), 0.25
# such an area runs from the lids to the chin: wider than tall, at most DENT_TALL times as tall as
# wide (the development set's colour halves: 0.54-0.84).  Where the chin's line is open (a small
# face's few pixels on a night set, its lit skin running on into the lit neck) the area runs on
# down the neck to the collar and is taller than wide (1.25-1.4): its box, the face's lower half and
# the neck, reaches below the head, and the head named by it holds the collar and the coat (scout
# half, a full shot at night: A left unknown beside B).  The head's bump finds that head anyway
DENT_TALL = 1.0
# a face blinks: its eyes closed are lash arcs, each a wide thin mark (at least LASHES times as
# wide as tall, DENT_WIDTH of the face wide) in the face's area or, where a lash meets the cheek's
# or the bangs' line, a dent in its outline.  Two such arcs side by side (as eyes stand, about as
# wide as each other, EYES_LIKE) with a mark (the nose, the mouth) between and below them, in a
# round area (FACE_SOLIDITY) no taller than wide (DENT_TALL), are a face's (sweep half, colour,
# shot 28: A blinking in front of a night window, his right lash meeting his cheek's line; no
# face was found, so nothing cut the pane his head box ran on over off, and A was left unknown)
LASHES = 2.5
# a lit window, a door's or a wall's panel behind a head differs from the background as much as
# the hair does, and where the hair overlaps it the head's silhouette runs on into it: the head
# box spans the panel (a night set's windows beside a character: the rules took the panel for
# a second head beside hers, or her shoulders reached the character beside her, an overlap).
# Where a face is found in the head box and the box runs on past the head that face implies by
# room for another head (the rules' BESIDE), the part beyond the face's head and the hair beside
# it (HAIR_SIDE of the head's width) is looked at: drawn in straight lines (RULED, as a prop's),
# it is the panel, and the head box ends where the hair does.  Hair or a second head there is
# drawn in curves and stays in the box.  A narrower run-on is left as it is: the rules take no
# second head from it, and the head crop the characters are named by keeps what it held.  The
# side is judged as a whole and, where that fails, in the rows of the face's head alone: a head
# box run on into a panel often runs down past the chin too, over the shoulders and what stands
# in front (a table's plates and cups, a prop's round edge), whose curves say nothing about what
# stands beside the head (check half, shot 21: a back wall's lit panel beside B's head, plates
# below it, the side 0.65 straight as a whole and wholly straight beside the head)
HAIR_SIDE = 0.25
# a window's, a door's or a shelf's level top edge meeting a head's side joins its outline to the
# head's, and the frame's lines close the panel against the shoulder below it: the silhouette
# fills the panel, and the head, followed down from its crown, juts out sideways in one row by the
# panel's width and runs on over the panel down to the shoulders.  Its box then holds a pane as
# wide as half the head, which the character is named by, and no face is there to cut it off where
# the eyes are closed or too small to find (tune half, colour, shot 2: A standing before a night
# window, his head box 72 pixels wide against his head's 50 and down to his chest; he was left
# unknown).  Hair widens over several rows, not by a third of its width in one row with nothing
# above the part that juts out; a jut at least PANEL_TOP of the frame height long (a head's least
# width) on one side only, staying as wide for as many rows below (a filled panel), in the head's
# upper part (above 0.6 of its widest width below its crown, where the shoulders' rule does not
# look yet) is a panel's top, and the head's run is kept from passing the column where it ended
# above the jut on that side.  A bow, a clip or an ear juts out less; spiky hair juts out on both
# sides at once, and a spike tapers (probe half, line art, shot 16: A's spikes taken for panels
# cut his head to his face, and seated behind a table he was no longer taken for cut by it); and
# what the jut leaves out is drawn in straight lines, a panel's frame (see _kept_off).  Only
# the outline figures' heads: a flat blob's head run on over a panel gives way to the outline head
# inside it (see OWN_OUTLINE), and kept off the panel it was too big to (tune half, line art, the
# same shot: A's head box ran on down his neck, and A was left unknown)
PANEL_TOP = HEAD_WIDTH
# on a night set (masks.NIGHT) a dark coat and dark hair are as dark as the set: what differs from
# the border's colours is a character's lit parts alone (face, collar, shirt, hands), a blob a
# face tall and a collar wide, and its head box the face without its hair.  Beside another figure
# it was taken for a far figure or a piece (probe half, colour: a navy-coated A beside B on a dark
# set, A lost; B's face alone beside A's whole head, B taken for a figure far behind).  The ink
# outline, found against its own surround there (masks.LINE_RATIO), closes round the whole figure,
# hair and coat.  Where the outlines show a standing head, the outline figures are the figures,
# each widened by the flat blobs whose head box shares NIGHT_HEAD of the smaller of the two with
# one of its heads (the lit parts the outline pass may leave out, a white shirt's edge)
NIGHT_HEAD = 0.5
# on a flat background, scenery drawn in lighter lines than the characters (a potted plant's stem
# by a hand, a window's frame, a cloud or a door by the hair) differs from the paper as much as
# the figure does and, touching it, joins its flat blob: the blob's box, or its head box, runs on
# over the scenery, and the character is named by a crop a share of which is a plant or a frame
# (small full figures beside props, line art: A's head and body 0.19-0.23 from A's stills against
# a limit of 0.16, 0.07-0.12 without the scenery).  The figure's own outline, dark, closes round
# the figure alone (scenery is drawn lighter or not at all).  Where a blob holds one outline
# figure with one head, that head at the top of the blob's own, each side of the blob's box (and
# of its head box) that runs on across past the outline figure's by more than a line's width
# (masks.LINE_WIDTH) is looked at, in the outline figure's own rows (below a head its shoulders'
# lines stand beside it): where it holds only thin lines (no fill or paint: a coloured sleeve, a
# lit panel) with at most LIGHT_SURPLUS of dark pixels (outlines, dark ink) for them, it is
# scenery in light lines and the box ends where the outline figure's does.  A part of the
# character the outline pass broke off (a hand, a strand, a dark shoe) is drawn dark and stays
LIGHT_SURPLUS = 0.1
LOOP_ASPECT = 2.0          # an empty loop of outline this many times wider than tall is scenery (a cloud,
                           # a sign, a window's pane): a body's panels (sleeves, legs, a coat) are upright
# two heads side by side whose outlines fused into one head box, only one face found in it (the
# other turned away, its eyes closed, or hidden by the hair of the one in front): the rules take
# the box for that face's head with long hair beside it, and the pair is named as one character.
# Where the box runs on past the head the face implies by room for another head (the rules'
# BESIDE[1]), the hair over the face (the box's columns above the face) and the top of what
# stands on the far side (past that head's hair, HAIR_SIDE, down to its crown) are compared: two
# characters' hair differs in hue (Lab a*b* medians HAIR_APART or more apart), while one head's
# hair, however long or tied, is one colour (its clip or ribbon is small beside its mass).  Each
# region must be at least HAIR_FILL filled by neither the background's colours nor ink: a few
# fringe pixels, or the corner of a lamp's glow, say nothing.  The far side then stands as a head
# of its own, and the rules make the box an overlap.  Line art fills hair with paper's white and
# never splits (sweep half, colour, shot 19: B's purple hair and the face in it, A's orange hair
# beside it with closed eyes; 46 apart.  A's spiky hair round a face box found on one eye, 3;
# the hue of a fused pair's tie and collar, 21)
HAIR_APART, HAIR_FILL = 30.0, 0.25


def faces(ink: np.ndarray, frame_h: int) -> List[Rect]:
    """Faces: round areas closed by ink with two eyes side by side in them, or a close-up's face
    told by its shape (see CLOSE_FACE).  They find the head of a character standing half behind
    another, which no bump on the outline shows, and a close-up's head, which no bump shows
    either (it fills the frame)."""
    import cv2

    contours, tree = cv2.findContours(ink, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if tree is None:
        return []
    tree = tree[0]
    found, close = [], []
    for i, c in enumerate(contours):
        if _depth(tree, i) % 2 == 0:
            continue                       # an ink component's outline, not a hole in one
        x, y, w, h = cv2.boundingRect(c)
        if not (FACE_SIZE[0] * frame_h <= max(w, h) <= FACE_SIZE[1] * frame_h and 0.5 <= w / h <= 2.0):
            continue
        area = cv2.contourArea(c)
        hull = cv2.contourArea(cv2.convexHull(c))
        # round: nearly convex, and no fuller than the ellipse in its box (a sign board is a box)
        if hull <= 0 or area > FACE_FULLNESS * np.pi / 4 * w * h:
            continue
        if area / hull >= FACE_SOLIDITY and _eyes(contours, tree, i, y, w, h, area):
            into = found
        elif _close_up(ink, contours, tree, i, area / hull):
            into = close
        elif _dented_face(contours, tree, i):
            into = found
        else:
            continue
        if not _panel_loop(c, frame_h):
            into.append((float(x), float(y), float(x + w), float(y + h)))
    # the dome over a close-up's face is its hair: strands or clips in it taken for eyes make no
    # second face there
    return close + [f for f in found if not any(_hair_over(f, c) for c in close)]


def _panel_loop(contour, frame_h: int) -> bool:
    """Whether the outline ``contour`` of a face-like area is a panel's (see PANEL_CHIN): drawn
    in straight lines, and as wide near its bottom as a panel is."""
    import cv2

    x, y, w, h = cv2.boundingRect(contour)
    m = LINE_MARGIN
    line = np.zeros((h + 2 * m, w + 2 * m), np.uint8)
    cv2.drawContours(line, [contour - (x - m, y - m)], -1, 1, 1)
    if not _ruled(line > 0, frame_h):
        return False
    area = np.zeros_like(line)
    cv2.drawContours(area, [contour - (x - m, y - m)], -1, 1, cv2.FILLED)
    return area[m + int(PANEL_CHIN[0] * (h - 1))].sum() >= PANEL_CHIN[1] * area.sum(axis=1).max()


def _hair_over(rect: Rect, face: Rect) -> bool:
    """Whether ``rect`` sits on top of ``face``: its bottom near the face's top (within a
    quarter of the face's height), over at least half of the narrower one's width."""
    reach = 0.25 * (face[3] - face[1])
    across = min(rect[2], face[2]) - max(rect[0], face[0])
    return abs(rect[3] - face[1]) <= reach and across >= 0.5 * min(rect[2] - rect[0], face[2] - face[0])


def _close_up(ink: np.ndarray, contours, tree, hole: int, solidity: float) -> bool:
    """Whether ``hole`` is a close-up's face told by its shape, not its eyes (see CLOSE_FACE)."""
    import cv2

    frame_h, frame_w = ink.shape
    x, y, w, h = cv2.boundingRect(contours[hole])
    if w < CLOSE_FACE * frame_h or w < h or solidity < CLOSE_SOLIDITY:
        return False
    if x <= EDGE * frame_h or x + w >= frame_w - EDGE * frame_h or y + h >= frame_h - EDGE * frame_h:
        return False
    area = cv2.contourArea(contours[hole])
    marks = sum(x + FEATURE_MARGIN * w <= bx + bw / 2 <= x + (1 - FEATURE_MARGIN) * w
                and max(bw, bh) >= EYE_SPAN * w and bw * bh <= FEATURE_SHARE * area
                for bx, by, bw, bh in _child_boxes(contours, tree, hole))
    return marks >= FEATURES and _hair_dome(contours[tree[hole][3]], (x, y, w, h))


def _hair_dome(outline, face: Tuple[int, int, int, int]) -> bool:
    """Whether the ink ``outline`` round a face area rises over it in a rounded top of hair."""
    import cv2

    x, y, w, h = face
    ox, oy, ow, oh = cv2.boundingRect(outline)
    if y - oy < HAIR_RISE * h:         # nothing of the outline stands high enough over the face
        return False
    solid = np.zeros((oh, ow), np.uint8)
    cv2.drawContours(solid, [outline - (ox, oy)], -1, 1, cv2.FILLED)
    # the hair over the face's columns: everything under the outline's top down to the face (a
    # hair line need not close round the hair: a strand or a ribbon leaves gaps in it)
    band = solid[:y - oy, max(0, x - ox):x - ox + w] > 0
    cols = np.cumsum(band, axis=0) > 0
    rows, xs = np.nonzero(cols)
    if not rows.size:
        return False
    top, left, right = rows.min(), xs.min(), xs.max()
    if y - oy - top < HAIR_RISE * h:
        return False
    return _dome(cols[top:, left:right + 1])


def _dome(region: np.ndarray) -> bool:
    """Whether the part of a head above its face is a rounded top: not a thin arc, and at least
    one of the box's top corners outside the ellipse in it mostly empty.  It is the cap of a
    shape wider than the face, so it may be fuller than that ellipse, and a bow, a bun or an ear
    may fill one corner; a rectangle (a box's top, a window, a sign) fills both."""
    h, w = region.shape
    if not h or not w or region.mean() / (np.pi / 4) < HEAD_FULLNESS[0]:
        return False
    corner = _top_corners(h, w)
    left = np.arange(w) < w / 2
    sides = [region[corner & side] for side in (left, ~left)]
    return min(s.mean() if s.size else 0.0 for s in sides) <= HEAD_CORNERS


def _depth(tree: np.ndarray, i: int) -> int:
    d = 0
    while tree[i][3] >= 0:
        i, d = tree[i][3], d + 1
    return d


def _eyes(contours, tree, hole: int, y: int, w: int, h: int, area: float) -> bool:
    """Two small ink marks in the hole, side by side, above its lowest quarter."""
    return next(_eye_pairs(contours, tree, hole, y, w, h, area), None) is not None


def _eye_pairs(contours, tree, hole: int, y: int, w: int, h: int, area: float):
    """The pairs of boxes (x, y, w, h) of ``_eyes``' marks that stand side by side."""
    import cv2

    marks = []
    child = tree[hole][2]
    while child >= 0:
        for bx, by, bw, bh in _rims(contours, tree, child) or [cv2.boundingRect(contours[child])]:
            if bw * bh <= EYE_SHARE * area and by + bh / 2 - y <= 0.75 * h and max(bw, bh) >= EYE_SPAN * w:
                marks.append((bx, by, bw, bh))
        child = tree[child][0]
    return ((a, b) for i, a in enumerate(marks) for b in marks[i + 1:] if _side_by_side(_middle(a), _middle(b), w, h))


def _middle(mark: Tuple[int, int, int, int]) -> Tuple[float, float]:
    return mark[0] + mark[2] / 2, mark[1] + mark[3] / 2


def _side_by_side(a: Tuple[float, float], b: Tuple[float, float], w: int, h: int) -> bool:
    """Whether two marks' middles ``a`` and ``b`` stand as two eyes in a face ``w`` x ``h``
    across: within a quarter of its height up and down, at least a fifth of its width apart."""
    return abs(a[1] - b[1]) <= 0.25 * h and abs(a[0] - b[0]) >= 0.2 * w


def _dented_face(contours, tree, hole: int) -> bool:
    """Whether the area inside ``contours[hole]`` is a face whose eyes are dents in its outline
    or closed (see LID, LASHES)."""
    area = _dented(contours[hole])
    if area is None:
        return False
    marks = list(_child_boxes(contours, tree, hole))
    return _eyes_under_bangs(area, marks) or _closed_eyes(area, marks)


def _dented(contour):
    """(box (x, y, w, h), filled area, its convex hull's, the dents: connected-component stats
    rows (x, y, w, h, pixels) in the box, where the hull runs past the area) of the area inside
    ``contour``; None where it is taller than wide (DENT_TALL), as no face's area is."""
    import cv2

    x, y, w, h = cv2.boundingRect(contour)
    if h > DENT_TALL * w:
        return None
    inside, hull = np.zeros((h, w), np.uint8), np.zeros((h, w), np.uint8)
    cv2.drawContours(inside, [contour - (x, y)], -1, 1, cv2.FILLED)
    cv2.drawContours(hull, [cv2.convexHull(contour) - (x, y)], -1, 1, cv2.FILLED)
    n, _, stats, _ = cv2.connectedComponentsWithStats(hull & (1 - inside), connectivity=4)
    return (x, y, w, h), inside, hull, stats[1:n]


def _child_boxes(contours, tree, hole: int):
    """The boxes (x, y, w, h) of the ink marks inside hole ``hole`` (its children in ``tree``)."""
    import cv2

    child = tree[hole][2]
    while child >= 0:
        yield cv2.boundingRect(contours[child])
        child = tree[child][0]


def _eyes_under_bangs(area, marks) -> bool:
    """Whether a ``_dented`` area is a face whose eyes are dents in its top outline, its nose or
    mouth (one of ``marks``, the boxes inside it) between and below them (see LID)."""
    (x, y, w, h), inside, hull, stats = area
    whole = int(hull.sum())
    dents = [(dx, dy, dw, dh, a) for dx, dy, dw, dh, a in stats
             if dy <= LID * h and DENT_SHARE[0] * whole <= a <= DENT_SHARE[1] * whole and dw >= DENT_WIDTH * w
             and dy + dh / 2 <= 0.75 * h]
    if (int(inside.sum()) + sum(d[4] for d in dents)) < FACE_SOLIDITY * whole:
        return False
    middles = [(x + dx + dw / 2, y + dy + dh / 2) for dx, dy, dw, dh, _ in dents]
    below = [_middle(m) for m in marks]
    return any(_side_by_side(a, b, w, h)
               and any(min(a[0], b[0]) < mx < max(a[0], b[0]) and my > max(a[1], b[1]) for mx, my in below)
               for i, a in enumerate(middles) for b in middles[i + 1:])


def _closed_eyes(area, marks) -> bool:
    """Whether a ``_dented`` area is a face with its eyes closed (see LASHES): two lash arcs side
    by side in its upper part, each one of ``marks`` (the boxes inside it) or a dent in its
    outline, its nose or mouth (a mark) between and below them."""
    (x, y, w, h), inside, hull, stats = area
    if inside.sum() < FACE_SOLIDITY * hull.sum():
        return False
    dents = [(x + dx, y + dy, dw, dh) for dx, dy, dw, dh, _ in stats]
    lashes = [m for m in marks + dents if _lash(m, y, w, h)]
    below = [_middle(m) for m in marks]
    for i, a in enumerate(lashes):
        for b in lashes[i + 1:]:
            (ax, ay), (bx, by) = _middle(a), _middle(b)
            if (_side_by_side((ax, ay), (bx, by), w, h) and 1 / EYES_LIKE <= a[2] / b[2] <= EYES_LIKE
                    and any(min(ax, bx) < mx < max(ax, bx) and my > max(ay, by) + a[3] for mx, my in below)):
                return True
    return False


def _lash(mark: Tuple[int, int, int, int], y: int, w: int, h: int) -> bool:
    """Whether a mark or dent (x, y, w, h) of a face area at row ``y``, ``w`` x ``h``, is a closed
    eye's lash arc (see LASHES): wide and thin, in the face's upper three quarters."""
    _, my, mw, mh = mark
    return mw >= DENT_WIDTH * w and mw >= LASHES * mh and my + mh / 2 - y <= 0.75 * h


def _rims(contours, tree, mark: int) -> List[Tuple[int, int, int, int]]:
    """The boxes of a pair of glasses' rims: the holes of ink mark ``mark`` that each hold ink
    (an eye), when it has two or more.  Glasses join both eyes into one mark by their bridge (and
    often the brows and hair lines by their frame); each rim closes round an eye, so the rims
    stand where the eyes are.  One ringed mark alone is one eye drawn as an outline round its iris."""
    import cv2

    found, hole = [], tree[mark][2]
    while hole >= 0:
        if tree[hole][2] >= 0:
            found.append(cv2.boundingRect(contours[hole]))
        hole = tree[hole][0]
    return found if len(found) >= 2 else []


def _run_within(top: np.ndarray, col: int, level: float, stop: Tuple[int, int] = (-1, -1)) -> Tuple[int, int]:
    """(first, last) column of the run round ``col`` of a top outline (row of the topmost ink per
    column, larger = lower) that stays at ``level`` or above, not entering the columns ``stop``."""
    lo = hi = col
    while lo > 0 and top[lo - 1] <= level and not stop[0] <= lo - 1 <= stop[1]:
        lo -= 1
    while hi < len(top) - 1 and top[hi + 1] <= level and not stop[0] <= hi + 1 <= stop[1]:
        hi += 1
    return lo, hi


def _bumps(top: np.ndarray, min_rise: float, min_width: float) -> List[Tuple[int, int, int]]:
    """Head candidates on a top outline (row of the topmost ink per column, larger = lower):
    (start, end, peak column) of every run that rises ``min_rise`` above the outline on both
    sides and is at least ``min_width`` wide at that depth."""
    n = len(top)
    taken = np.zeros(n, bool)
    found = []
    for peak in np.argsort(top, kind="stable"):
        if taken[peak] or not np.isfinite(top[peak]):
            continue
        lo, hi = _run_within(top, peak, top[peak] + min_rise)
        # a run reaching a higher peak's run is that peak's shoulder, not a head of its own
        shoulder = taken[lo:hi + 1].any()
        taken[lo:hi + 1] = True
        if not shoulder and hi - lo + 1 >= min_width:
            found.append((int(lo), int(hi), int(peak)))
    return found


def detect_ink(bgr: np.ndarray, ignore: Sequence[Rect] = ()) -> List[Box]:
    """Person boxes (one per ink blob) and head boxes (one per bump on a blob's top outline).
    ``ignore``: rectangles (frame pixels) known to hold text; their ink is left out."""
    import cv2

    if bgr.ndim == 2 or bgr.shape[2] == 1:
        bgr = cv2.cvtColor(bgr, cv2.COLOR_GRAY2BGR)
    h, w = bgr.shape[:2]
    if min(h, w) < MIN_PICTURE:
        return []
    scale = min(1.0, WORK_HEIGHT / h)
    small = bgr if scale == 1.0 else cv2.resize(bgr, (max(1, round(w * scale)), max(1, round(h * scale))),
                                                interpolation=cv2.INTER_AREA)
    sh, sw = small.shape[:2]
    colours = background_colours(small, edges=2)
    fg = foreground(small, colours)
    ink = dark_ink(small, colours)
    strokes = ink | lines_in_the_dark(small)
    for mask in (fg, ink, strokes):
        _blank(mask, ignore, scale)
    found_faces = faces(strokes, sh)
    ledges = level_edges(small)     # a table's, a counter's top edge (see ledge)
    r = max(1, round(CLOSE * sh))
    found = _blobs(fg, r)
    if not found[2]:
        # the border's flat colours set the figures apart, but a lamp's glow or a window's bloom
        # on that background is unlike them too, and joined to a head it widened the head's box
        # over the light (a night scene's warm lamps: nobody named).  Where a blob is the
        # background itself (a painted, gradient or rendered set) the outlines decide anyway,
        # and taking its smooth parts away only breaks it into pieces that join the figures
        fg[soft_light(small, fg)] = 0
        found = None               # fg changed: its blobs are found again
    drawn = without_broken_lines(outlines(small))
    _blank(drawn, ignore, scale)
    lines = drawn | strokes          # where a figure's lines meet a table's edge (see ledge)
    boxes, scenery = _figures(fg, drawn, r, scale, found)
    by_outline, _ = _figures(drawn, drawn, r, scale, panels=True)
    if scenery or not _standing_head(boxes, w, h):
        # no flat background sets the characters apart (a dark, painted or rendered set; line
        # art over busy scenery, or grey room lines joined to the figure): their dark outlines
        # do, where they show a head, mended by their dark ink (see INKED_HEAD)
        if _standing_head(by_outline, w, h):
            inked = _inked(ink, drawn, scale, r)
            boxes = _closed_by_ink(by_outline, _behind(inked, ledges, lines, scale, w, h), w, h)
        elif not _standing_head(boxes, w, h):
            # no outline head at all (a head's outline broken on a painted wall): the dark ink
            # alone still closes a figure seated behind a table, whose ink the table's edge ends
            inked = _inked(ink, drawn, scale, r)
            boxes = _closed_by_ink([], _seated(inked, _behind(inked, ledges, lines, scale, w, h)), w, h) or boxes
    elif night(small) and _standing_head(by_outline, w, h):
        # a night set: the outlines find the figures, the lit parts widen them (see NIGHT_HEAD)
        boxes = _widened_by_blobs(by_outline, boxes)
    elif _parted(boxes, by_outline, w, h):
        # a flat background, yet props and lit panels that touch two characters join them into
        # one blob (a rendered room's boxes and back wall between two standing figures): each
        # figure is closed by its own outline, so where the outlines part one blob into several
        # figures with a head, they decide
        boxes = by_outline
    else:
        boxes = _own_outlines(boxes, by_outline, h, fg, scale)
        boxes = _headed_by_outline(_off_light_scenery(boxes, by_outline, fg, drawn | ink, scale, w, h), by_outline, w, h)
    # a table, a counter or a sill in front ends a figure above the frame's bottom (see ledge)
    boxes = _behind(boxes, ledges, lines, scale, w, h)
    on_mended = _mended_search(strokes)          # both searches below share one
    found_faces += _mended_faces(strokes, boxes, found_faces, scale, on_mended)
    found_faces += _mended_beside(strokes, boxes, found_faces, scale, on_mended)
    boxes = [_off_panels(b, found_faces, drawn, scale) for b in boxes]
    # every face, also where no body stands out from a busy background: the rules give a face
    # with no body around it a body of its own
    boxes.extend(Box("face", tuple(v / scale for v in f), 1.0) for f in found_faces)
    return boxes


def _inked(ink: np.ndarray, drawn: np.ndarray, scale: float, r: int) -> List[Box]:
    """Figures (as ``_figures`` finds them) of the frame's outlines ``drawn`` together with its
    dark ink ``ink`` (see INKED_HEAD)."""
    inked = without_scenery_lines(ink | drawn)
    return _figures(inked, drawn, r, scale)[0]


def _behind(boxes: List[Box], ledges: np.ndarray, lines: np.ndarray, scale: float, width: int,
            height: int) -> List[Box]:
    """``boxes`` with each figure seated behind a table reaching down to the frame's bottom
    (see ledge; ``ledges``: level_edges at ``scale``; ``lines``: drawn lines and dark ink)."""
    return behind_ledges(boxes, ledges, lines, scale, width, height, lambda bs, k: _top_head(bs, k, width, height))


def _seated(inked: Sequence[Box], behind: Sequence[Box]) -> List[Box]:
    """The boxes (of ``behind``) of the figures that a table's edge cuts: those whose person box
    ``_behind`` took down from ``inked`` to the frame's bottom."""
    return [b for f, g in zip(_grouped(inked), _grouped(behind)) if f[0] != g[0] for b in g]


def _closed_by_ink(by_outline: List[Box], inked: Sequence[Box], width: int, height: int) -> List[Box]:
    """``by_outline`` mended by the figures the dark ink closed (see INKED_HEAD).  An inked figure
    with a head that holds, in its upper part (HEAD_ZONE) and at the top of its own head, the head
    of exactly one outline figure is that figure: the other outline figures inside it (a cup and
    a hand below the head, pieces of its coat) are its parts and go, and the outline figure keeps
    its own boxes (its outline closed round the head itself; the silhouette's head runs on down
    long hair over a dark coat).  One holding no outline head is added where no outline head
    stands in its box's upper part and none over its own head (the outlines lost that figure;
    under a light head the ink leaves out, a dark coat's box is that head's body, its shoulders
    no heads; a bump low in its box is a cup or a plate on the table in front, see INKED_HEAD).
    One holding two outline heads joined two characters (dark coats side by side), and one whose
    head holds another's lower down (a bow tie the outline closed under a head it did not), are
    left out."""
    figures = _grouped(by_outline)
    heads = [h.rect for f in figures for h in f[1:]]
    for own in _grouped(inked):
        head = _top_head(own, 0, width, height) if own[0].kind == "person" else None
        if head is None:
            continue
        body = own[0].rect
        inside = [f for f in figures if inside_share(f[0].rect, body) >= OUTLINE_INSIDE]
        headed = [f for f in inside if _zone_head(f, body, width, height)]
        if headed:
            held = _top_head(headed[0], 0, width, height)
            if len(headed) > 1 or not _atop(held, head):
                continue
            own = headed[0]
        elif any(_bars(h, body, head) for h in heads) or not _taken(body, head, height):
            continue
        figures = [f for f in figures if not any(f is g for g in inside)] + [own]
    return [b for f in figures for b in f]


def _bars(outline_head: Rect, body: Rect, head: Rect) -> bool:
    """Whether an outline figure's head ``outline_head`` keeps the inked figure ``body`` with its
    head ``head`` from being added (see INKED_HEAD): it stands in the body's upper part, or the
    inked head lies under it, at its shoulders (see _below_head)."""
    return intersection(body, outline_head) > 0 and _upper(outline_head, body) or _below_head(head, outline_head)


def _upper(head: Rect, body: Rect) -> bool:
    """Whether the middle row of ``head`` lies in the upper part (HEAD_ZONE) of ``body`` or above."""
    return (head[1] + head[3]) / 2 <= body[1] + HEAD_ZONE * (body[3] - body[1])


def _taken(body: Rect, head: Rect, height: int) -> bool:
    """Whether an inked figure ``body`` with its head ``head`` may stand for a character the
    outlines missed (see INKED_HEAD)."""
    return body[3] >= height * (1 - EDGE) and head[2] - head[0] <= INKED_HEAD * (body[2] - body[0])


def _atop(inner: Rect, outer: Rect) -> bool:
    """Whether the head box ``inner`` lies in ``outer`` with its top in ``outer``'s top part
    (within CROWN of its own height)."""
    return inside_share(inner, outer) >= 0.8 and abs(inner[1] - outer[1]) <= CROWN * (inner[3] - inner[1])


def _grouped(boxes: Sequence[Box]) -> List[List[Box]]:
    """``boxes`` as ``_figures`` lists them, cut into figures: a person box and the heads after it."""
    out: List[List[Box]] = []
    for b in boxes:
        if b.kind == "person" or not out:
            out.append([b])
        else:
            out[-1].append(b)
    return out


def _zone_head(figure: Sequence[Box], body: Rect, width: int, height: int) -> bool:
    """Whether ``figure`` (a person box and its heads) has a head standing clear of the frame's
    sides and bottom with its centre in the upper part (HEAD_ZONE) of ``body``."""
    head = _top_head(figure, 0, width, height)
    if head is None:
        return False
    cx, cy = (head[0] + head[2]) / 2, (head[1] + head[3]) / 2
    return body[0] <= cx <= body[2] and body[1] <= cy and _upper(head, body)


def _mended_search(strokes: np.ndarray):
    """A function returning the faces (working pixels) found on ``strokes`` closed over small gaps
    (MEND), searched on its first call only: the face search is most of counting's time."""
    done: List[List[Rect]] = []

    def search() -> List[Rect]:
        if not done:
            import cv2

            mended = cv2.morphologyEx(strokes, cv2.MORPH_CLOSE, np.ones((MEND, MEND), np.uint8))
            done.append(faces(mended, strokes.shape[0]))
        return done[0]
    return search


def _mended_faces(strokes: np.ndarray, boxes: Sequence[Box], found: Sequence[Rect], scale: float,
                  on_mended=None) -> List[Rect]:
    """Faces (working pixels) found on ``strokes`` closed over small gaps, each inside a head box
    of ``boxes`` (frame pixels) that holds none of the faces ``found`` already (see MEND).
    ``on_mended``: a _mended_search of ``strokes`` shared with other searches."""
    width = strokes.shape[1]
    bare = [tuple(v * scale for v in b.rect) for b in boxes if b.kind == "head"]
    bare = [h for h in bare if not any(inside_share(f, h) >= 0.5 for f in found)
            and min(h[0] + h[2], 2 * width - h[0] - h[2]) / 2 <= BACK_REACH * (h[2] - h[0])]
    if not bare:
        return []
    return [f for f in (on_mended or _mended_search(strokes))() if any(inside_share(f, h) >= 0.8 for h in bare)]


def _mended_beside(strokes: np.ndarray, boxes: Sequence[Box], found: Sequence[Rect], scale: float,
                   on_mended=None) -> List[Rect]:
    """Faces (working pixels) found on ``strokes`` closed over small gaps (MEND) beside a face of
    ``found`` that no body box of ``boxes`` (frame pixels) holds, so near it that their shoulders
    fuse (the rules' overlap).  On a rendered or painted set no body stands out, and a face
    alone stands for its character; one standing half behind it whose face outline and glasses'
    rims broke into dashes was not found, and the pair was named as the one face's character.
    Where the mending closes no such face, a second pair of eyes beside the face tells one
    (EYES_LIKE).  Only a face that makes the pair an overlap is added: the frame leaves the set,
    and no second character is ever named from a mended face.  ``on_mended``: as for _mended_faces."""
    bodies = [tuple(v * scale for v in b.rect) for b in boxes if b.kind == "person"]
    loose = [f for f in found if not any(inside_share(f, b) >= HEAD_INSIDE for b in bodies)]
    if not loose:
        return []
    fused = Rules().max_overlap

    def span(f: Rect) -> Rect:
        return shoulders(head_of(Box("face", f)))

    def fuses(f: Rect) -> bool:       # a new face, so near a loose one that their shoulders fuse
        return not any(cover(f, g) > 0 for g in found) and any(_beside(f, g) and cover(span(f), span(g)) > fused
                                                               for g in loose)

    return ([f for f in (on_mended or _mended_search(strokes))() if fuses(f)]
            or [f for f in _eyes_beside(strokes, loose) if fuses(f)])


def _eyes_beside(strokes: np.ndarray, faces_: Sequence[Rect]) -> List[Rect]:
    """Faces (working pixels) told by a second pair of eyes beside a face of ``faces_`` alone
    (see EYES_LIKE): that face's box moved and scaled onto them."""
    import cv2

    contours, tree = cv2.findContours(strokes, cv2.RETR_TREE, cv2.CHAIN_APPROX_SIMPLE)
    if tree is None:
        return []
    tree = tree[0]
    # solid marks: an iris is a filled ellipse, a broken line's dash or a strand is thin
    marks = [cv2.boundingRect(c) for i, c in enumerate(contours) if _depth(tree, i) == 0
             and cv2.contourArea(c) >= EYE_SOLID * np.prod(cv2.boundingRect(c)[2:])]
    out = []
    for i, c in enumerate(contours):
        x, y, w, h = cv2.boundingRect(c)
        if (float(x), float(y), float(x + w), float(y + h)) not in faces_ or _depth(tree, i) % 2 == 0:
            continue
        pairs = list(_eye_pairs(contours, tree, i, y, w, h, cv2.contourArea(c)))
        if not pairs:
            continue
        # its eyes: the largest pair of marks (brows' and lashes' specks pair up too)
        eyes = max(pairs, key=lambda p: sum(m[2] * m[3] for m in p))
        like = _like_pairs(eyes, marks, (x, y, w, h))
        if like:
            best = min(like, key=lambda p: _unlike(eyes, p))
            out.append(_face_on(eyes, best, (x, y, w, h)))
    return out


def _unlike(pair, other) -> float:
    """How far the pair of marks ``other`` is from looking like ``pair``: the largest ratio (as a
    log) of their sizes and of their spans apart."""
    def span(p) -> float:
        return max(1.0, abs(_middle(p[0])[0] - _middle(p[1])[0]))
    size = [np.log(max(1, o[k]) / max(1, m[k])) for m, o in zip(sorted(pair), sorted(other)) for k in (2, 3)]
    return float(max(np.abs(size + [np.log(span(other) / span(pair))])))


def _like_pairs(pair, marks, face: Tuple[int, int, int, int]):
    """Pairs of ink ``marks`` (x, y, w, h) beside ``face`` (x, y, w, h) that stand as its eyes
    ``pair`` do (EYES_LIKE): each mark about as big as theirs, in their rows, as far apart."""
    x, y, w, h = face
    size = np.mean([[m[2], m[3]] for m in pair], axis=0)
    row = np.mean([_middle(m)[1] for m in pair])
    apart = abs(_middle(pair[0])[0] - _middle(pair[1])[0])

    def like(m) -> bool:
        cx, cy = _middle(m)
        return (all(1 / EYES_LIKE <= v / s <= EYES_LIKE for v, s in zip(m[2:], size))
                and abs(cy - row) <= 0.25 * h)

    near = [m for m in marks if like(m)]
    return [(a, b) for i, a in enumerate(near) for b in near[i + 1:]
            if abs(_middle(a)[1] - _middle(b)[1]) <= 0.25 * h
            and 1 / EYES_LIKE <= abs(_middle(a)[0] - _middle(b)[0]) / max(apart, 1.0) <= EYES_LIKE
            and (min(_middle(a)[0], _middle(b)[0]) > x + w or max(_middle(a)[0], _middle(b)[0]) < x)]


def _face_on(pair, other, face: Tuple[int, int, int, int]) -> Rect:
    """``face`` (x, y, w, h), whose eyes are ``pair``, moved and scaled onto the eyes ``other``."""
    (ax, ay), (bx, by) = _middle(pair[0]), _middle(pair[1])
    (cx, cy), (dx, dy) = _middle(other[0]), _middle(other[1])
    k = abs(cx - dx) / max(abs(ax - bx), 1.0)
    mx, my, nx, ny = (ax + bx) / 2, (ay + by) / 2, (cx + dx) / 2, (cy + dy) / 2
    x, y, w, h = face
    return (nx + k * (x - mx), ny + k * (y - my), nx + k * (x + w - mx), ny + k * (y + h - my))


def _off_panels(box: Box, found: Sequence[Rect], drawn: np.ndarray, scale: float) -> Box:
    """``box`` (frame pixels), a head box holding one face of ``found`` (working pixels), without
    the panels joined to it on either side of that face's head and hair (see HAIR_SIDE); any
    other box as it is.  ``drawn``: the frame's outlines (working pixels)."""
    if box.kind != "head":
        return box
    head = tuple(v * scale for v in box.rect)
    held = [f for f in found if inside_share(f, head) >= FACE_IN_HEAD]
    if len(held) != 1:
        return box
    own = head_of(Box("face", held[0]))
    w = own[2] - own[0]
    left, right = own[0] - HAIR_SIDE * w, own[2] + HAIR_SIDE * w
    x0, y0, x1, y1 = head
    if own[0] - x0 >= BESIDE[1] * w and _panel((x0, y0, left, y1), own, drawn):
        x0 = left
    if x1 - own[2] >= BESIDE[1] * w and _panel((right, y0, x1, y1), own, drawn):
        x1 = right
    if (x0, x1) == (head[0], head[2]):
        return box
    return Box(box.kind, (x0 / scale, box.rect[1], x1 / scale, box.rect[3]), box.score)


def _panel(side: Rect, own: Rect, drawn: np.ndarray, shortest: float = 0) -> bool:
    """Whether the part ``side`` of a head box beside the head ``own`` (working pixels) is drawn
    in straight lines (``shortest`` pixels long or longer), as a whole or in ``own``'s rows (see
    HAIR_SIDE)."""
    beside = (side[0], max(side[1], own[1]), side[2], min(side[3], own[3]))
    return any(_ruled(_ink_in(drawn, r), drawn.shape[0], shortest) for r in (side, beside))


def _ink_in(mask: np.ndarray, rect: Rect) -> np.ndarray:
    """The part of ``mask`` inside ``rect`` (working pixels), as booleans."""
    x0, y0, x1, y1 = (int(round(v)) for v in rect)
    return mask[max(0, y0):max(0, y1), max(0, x0):max(0, x1)] > 0


def _beside(face: Rect, other: Rect) -> bool:
    """Whether ``face`` stands beside the face ``other``, as a head beside it: at least CHEST_FACE
    as wide, its middle within the rows of the head ``other`` implies (a bow or a collar under a
    small far face closes into a small "face" below it)."""
    head = head_of(Box("face", other))
    return (face[2] - face[0] >= CHEST_FACE * (other[2] - other[0])
            and head[1] <= (face[1] + face[3]) / 2 <= head[3])


def _widened_by_blobs(by_outline: Sequence[Box], blobs: Sequence[Box]) -> List[Box]:
    """The outline figures of a night set (see NIGHT_HEAD), each person box widened to hold the
    flat blobs whose head is one of its own (NIGHT_HEAD of the smaller head box): the lit parts
    (face, collar, hands) that its outline closes round with the dark coat and hair.  Where one
    outline head holds two flat heads side by side, the outline fused two heads whose hair
    touches, which the flat pass told apart (see CREST): those two stand for it."""
    lit = _figures_with_all_heads(blobs)
    out: List[Box] = []
    for figure in _grouped(by_outline):
        body, heads = figure[0].rect, figure[1:]
        shared = []
        for blob, own in lit:
            held = [h for h in own if any(cover(o.rect, h) >= NIGHT_HEAD for o in figure[1:])]
            if held:
                body, shared = union((body, blob)), shared + held
        if any(_heads_side_by_side(a, b) for k, a in enumerate(shared) for b in shared[k + 1:]):
            heads = [Box("head", h, figure[0].score) for h in shared]
        out += [Box(figure[0].kind, body, figure[0].score)] + heads
    return out


def _heads_side_by_side(a: Rect, b: Rect) -> bool:
    """Whether two head boxes stand apart across at about one height: neither's columns reach
    the other's middle, and each one's middle row lies in the other's rows."""
    return (not a[0] <= (b[0] + b[2]) / 2 <= a[2] and not b[0] <= (a[0] + a[2]) / 2 <= b[2]
            and a[1] <= (b[1] + b[3]) / 2 <= a[3] and b[1] <= (a[1] + a[3]) / 2 <= b[3])


def _own_outlines(boxes: List[Box], by_outline: Sequence[Box], height: int, marks: Optional[np.ndarray] = None,
                  scale: float = 1.0) -> List[Box]:
    """``boxes`` (the flat-background pass) with each head box replaced by the one head box of
    the outline pass that shares its crown and is much smaller (OWN_OUTLINE).  A lit door,
    window or screen behind a head differs from the border's colours as much as the head does,
    and a grey scenery line joins it: the head's silhouette runs on into the panel, and the
    panel's inside, closed off by the head and shoulders, is filled in as solid.  The head's own
    inked outline closes round the head alone (scenery is drawn lighter or not at all).
    Such a night set hides the figure's dark coat too: the blob ends where the lit panel does,
    above the frame's bottom, and the figure was taken for one wholly in view (its body compared
    with whole stills: B unnamed on the check half's shot 36).  Where the outline figure holding
    that head covers the blob and runs out of the frame's bottom (``height``, frame pixels), the
    figure does too: the blob's box reaches down to it.  ``marks``: the flat pass's foreground
    (working pixels, ``scale``), where a panel joined to a head shows (PANEL_SIDE)."""
    figures = _figures_with_all_heads(by_outline)
    edges = None if marks is None else _edges(marks)
    out: List[Box] = []
    for b in boxes:
        own = ([(h, body) for body, hs in figures for h in hs if _crowned(h, b.rect, edges, scale)]
               if b.kind == "head" else [])
        if len(own) == 1:
            (head, body), blob = own[0], _last_person(out)
            # the silhouette's top is the crown's (the bump was found there, above the panel);
            # a fill-coloured night head's hair line may not be dark enough to be an outline
            b = Box("head", (head[0], min(head[1], b.rect[1]), head[2], head[3]), b.score)
            if blob is not None and _runs_out_below(out[blob].rect, body, height):
                r = out[blob].rect
                out[blob] = Box(out[blob].kind, (r[0], r[1], r[2], body[3]), out[blob].score)
        out.append(b)
    return out


def _off_light_scenery(boxes: List[Box], by_outline: Sequence[Box], fg: np.ndarray, dark: np.ndarray, scale: float,
                       width: int, height: int) -> List[Box]:
    """``boxes`` (the flat-background pass) with each blob's box and its top head box ended, side
    by side, where the one outline figure it holds ends, wherever the part beyond is scenery in
    light lines (see LIGHT_SURPLUS).  ``fg``, ``dark``: the foreground and the outlines and dark
    ink (working pixels)."""
    # one head: an outline figure with two is two characters fused (an overlap), not one figure
    figures = [(body, heads[0]) for body, heads in _figures_with_all_heads(by_outline)
               if len(heads) == 1 and _clear(heads[0], width, height)]
    out: List[Box] = []
    for figure in _grouped(boxes):
        top = _top_head(figure, 0, width, height) if figure[0].kind == "person" else None
        inside = [f for f in figures if inside_share(f[0], figure[0].rect) >= OUTLINE_INSIDE]
        if top is None or len(inside) != 1 or not _atop(inside[0][1], top):
            out += figure
            continue
        body, head = inside[0]
        for b in figure:
            own = body if b.kind == "person" else head if b.rect == top else None
            out.append(b if own is None else Box(b.kind, _light_sides_off(b.rect, own, fg, dark, scale), b.score))
    return out


def _light_sides_off(outer: Rect, inner: Rect, fg: np.ndarray, dark: np.ndarray, scale: float) -> Rect:
    """``outer`` (frame pixels) with each side that runs on past ``inner``'s, across, by more than
    a line's width over light lines (see LIGHT_SURPLUS) moved back to ``inner``'s."""
    import cv2

    x0, y0, x1, y1 = outer
    width = LINE_WIDTH * fg.shape[0]
    out = list(outer)
    top, bottom = max(y0, inner[1]), min(y1, inner[3])         # beside the figure's own box
    k = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * round(width) + 1,) * 2)
    for side, strip in ((0, (x0, top, inner[0], bottom)), (2, (inner[2], top, x1, bottom))):
        if strip[2] - strip[0] <= width / scale:
            continue
        lit = _ink_in(fg, tuple(v * scale for v in strip)).astype(np.uint8)
        lines = lit.any() and not cv2.morphologyEx(lit, cv2.MORPH_OPEN, k).any()      # no fill, no paint
        if lines and _ink_in(dark, tuple(v * scale for v in strip)).sum() <= LIGHT_SURPLUS * lit.sum():
            out[side] = inner[side]
    return tuple(out)


def _figures_with_all_heads(boxes: Sequence[Box]) -> List[Tuple[Rect, List[Rect]]]:
    """(person box, its head boxes) of each person box of ``boxes`` (heads follow their person)."""
    return [(g[0].rect, [b.rect for b in g[1:] if b.kind == "head"]) for g in _grouped(boxes) if g[0].kind == "person"]


def _last_person(boxes: Sequence[Box]):
    """The index of the last person box of ``boxes``, or None."""
    return next((k for k in range(len(boxes) - 1, -1, -1) if boxes[k].kind == "person"), None)


def _runs_out_below(blob: Rect, figure: Rect, height: int) -> bool:
    """Whether the outline ``figure`` covers ``blob`` (OUTLINE_INSIDE of it) and reaches the frame's
    bottom, which the blob stops above."""
    bottom = height * (1 - EDGE)
    return inside_share(blob, figure) >= OUTLINE_INSIDE and figure[3] >= bottom > blob[3]


def _headed_by_outline(boxes: List[Box], by_outline: Sequence[Box], width: int, height: int) -> List[Box]:
    """``boxes`` (the flat-background pass) with a head added to each blob that has none where the
    outline pass found a figure inside it whose head stands clear of the frame's sides and bottom
    in the blob's upper part (HEAD_ZONE).  Scenery drawn beside a character (a cloud, a lamp, a
    frame on the wall, drawn in lighter or broken lines that the outlines leave out) that touches
    its hair or its arm joins the flat blob: its top is then the scenery's, or the head is that
    scenery's shoulder, and no bump is a head.  The character's own inked outline closes round the
    figure alone and shows the head.  So too where the blob's highest head lies wholly below the
    outline figure's head (see _below_head)."""
    figures = _figures_with_heads(by_outline, width, height)
    out: List[Box] = []
    for k, b in enumerate(boxes):
        out.append(b)
        if b.kind != "person":
            continue
        top = _top_head(boxes, k, width, height)
        x0, y0, x1, y1 = b.rect
        for body, head in figures:
            if top is not None and not _below_head(top, head):
                continue
            cx, cy = (head[0] + head[2]) / 2, (head[1] + head[3]) / 2
            if inside_share(body, b.rect) >= OUTLINE_INSIDE and y0 <= cy <= y0 + HEAD_ZONE * (y1 - y0):
                out.append(Box("head", head, b.score))
            elif _part_of(b.rect, body, (cx, cy)) and not any(o.rect == head for o in out):
                out.append(Box("head", head, b.score))
    return out


def _below_head(bump: Rect, head: Rect) -> bool:
    """Whether a blob's head box ``bump`` lies wholly below the outline figure's ``head``, its top
    under that head's chin, and within the columns of that head's shoulders (BELOW_HEAD): the top
    of a shoulder or an arm that scenery joined to the figure (a cloud drawn behind the head, its
    lower line over the shoulder) made a bump of, with the head lost in the scenery's outline.  A
    head tops its figure: a bump under it is none, and the outline's head is the figure's."""
    cx, w = (head[0] + head[2]) / 2, head[2] - head[0]
    return bump[1] >= head[3] and abs((bump[0] + bump[2]) / 2 - cx) <= BELOW_HEAD * w


def _part_of(blob: Rect, body: Rect, head: Tuple[float, float]) -> bool:
    """Whether a flat ``blob`` is a piece of the outline figure ``body`` holding its head's centre
    ``head``: on a dark set a navy coat is as dark as the set and makes no blob, and only the
    hair and face differ from the background; the figure's outline closes round all of it."""
    x0, y0, x1, y1 = blob
    return inside_share(blob, body) >= OUTLINE_INSIDE and x0 <= head[0] <= x1 and y0 <= head[1] <= y1


def _figures_with_heads(boxes: Sequence[Box], width: int, height: int) -> List[Tuple[Rect, Rect]]:
    """(person box, its first head standing clear of the frame's sides and bottom) of each person
    box of ``boxes`` that has one (each person box comes before its heads, as ``_figures`` lists
    them)."""
    return [(b.rect, head) for k, b in enumerate(boxes)
            if b.kind == "person" and (head := _top_head(boxes, k, width, height)) is not None]


def _top_head(boxes: Sequence[Box], k: int, width: int, height: int):
    """The highest head box standing clear of the frame's sides and bottom among those listed
    after the person box ``boxes[k]`` and before the next person box, or None.  A figure's
    heads are listed from left to right, and a bump lower down (a hand at the lapel or the hip)
    may come first: the head tops the figure.  Taken by its leftmost bump, a figure standing
    beside another in one flat blob did not count as a figure with a head in the blob's upper
    part (``_parted``), and the two stayed one body."""
    heads = []
    for b in boxes[k + 1:]:
        if b.kind == "person":
            break
        if b.kind == "head" and _clear(b.rect, width, height):
            heads.append(b.rect)
    return min(heads, key=lambda r: r[1], default=None)


def _crowned(inner: Rect, outer: Rect, edges: Optional[np.ndarray] = None, scale: float = 1.0) -> bool:
    """Whether the head box ``inner`` lies in ``outer`` with its top in ``outer``'s top part
    (within CROWN of its own height) and covers at most OWN_OUTLINE of its area, or ``outer``
    runs on beside it into a panel (PANEL_SIDE; ``edges``: the flat pass's edges, working pixels
    at ``scale``)."""
    reach = CROWN * (inner[3] - inner[1])
    if inside_share(inner, outer) < 0.9 or abs(inner[1] - outer[1]) > reach:
        return False
    return area(inner) <= OWN_OUTLINE * area(outer) or (edges is not None and _panel_beside(inner, outer, edges, scale))


def _panel_beside(head: Rect, outer: Rect, edges: np.ndarray, scale: float) -> bool:
    """Whether the box ``outer`` (frame pixels) runs on past ``head`` and the hair beside it
    (HAIR_SIDE of its width) by PANEL_SIDE of its width or more on a side drawn in straight lines
    (``edges``, working pixels; see _panel), PANEL_LINE of the head's height long or longer."""
    own = tuple(v * scale for v in head)
    x0, y0, x1, y1 = (v * scale for v in outer)
    w, shortest = own[2] - own[0], PANEL_LINE * (own[3] - own[1])
    sides = ((x0, y0, own[0] - HAIR_SIDE * w, y1), (own[2] + HAIR_SIDE * w, y0, x1, y1))
    return any(s[2] - s[0] >= PANEL_SIDE * w and _panel(s, own, edges, shortest) for s in sides)


def _edges(mask: np.ndarray) -> np.ndarray:
    """The edge of a mask's shapes (bool): a filled panel by its outline, a drawn line as it is."""
    import cv2

    m = (mask > 0).astype(np.uint8)
    return (m & ~cv2.erode(m, np.ones((3, 3), np.uint8))) > 0


def _standing_head(boxes: Sequence[Box], width: int, height: int) -> bool:
    """Whether a head box stands clear of the frame's sides and bottom.  A bump that the bottom or
    a side edge cuts is a plate, a cup or a shoulder (the counting rules take it for a fragment):
    it says nothing about whether the figures were found."""
    return any(b.kind == "head" and _clear(b.rect, width, height) for b in boxes)


def _parted(blobs: Sequence[Box], by_outline: Sequence[Box], width: int, height: int) -> bool:
    """Whether the outlines show two or more figures with a head in the upper part (HEAD_ZONE) of
    one blob's box.  Lower in a blob they are a figure's own pieces (a stick figure's legs with
    its hands on top): no second character."""
    heads = [((r[0] + r[2]) / 2, (r[1] + r[3]) / 2) for _, r in _figures_with_heads(by_outline, width, height)]
    for x0, y0, x1, y1 in (b.rect for b in blobs if b.kind == "person"):
        if sum(x0 <= cx <= x1 and y0 <= cy <= y0 + HEAD_ZONE * (y1 - y0) for cx, cy in heads) >= 2:
            return True
    return False


def _clear(rect, width: int, height: int) -> bool:
    """Whether ``rect`` stands clear of the sides and bottom of a ``width`` x ``height`` picture
    (any units, the same for all three); the top edge may cut hair."""
    return not set(cut_edges(rect, width, height, EDGE * height)) - {"top"}


def _blank(mask: np.ndarray, rects: Sequence[Rect], scale: float) -> None:
    """Clear ``rects`` (frame pixels) in a working-size mask."""
    for x0, y0, x1, y1 in rects:
        mask[max(0, int(y0 * scale)):int(np.ceil(y1 * scale)), max(0, int(x0 * scale)):int(np.ceil(x1 * scale))] = 0


def _figures(fg: np.ndarray, drawn: np.ndarray, r: int, scale: float, found=None,
             panels: bool = False) -> Tuple[List[Box], bool]:
    """(person boxes, one per blob of ``fg``, and head boxes on their outlines, in frame pixels;
    whether a blob was the background itself).  ``drawn``: the frame's outlines; a head is drawn
    (eyes, hair strands, its own outline), a bump of lamp glow or sky is not.  ``found``:
    ``_blobs(fg, r)`` where the caller has it already.  ``panels``: heads are kept off the panels
    beside them (PANEL_TOP; the outline figures only)."""
    frame_h = fg.shape[0]
    blobs, labels, scenery = found or _blobs(fg, r)
    boxes: List[Box] = []
    bodies: List[Rect] = []
    for _, label, rect in blobs:
        # small strokes inside a bigger body's outline (eyes in a head, a button) belong to it
        if any(inside_share(rect, body) > 0.8 and area(rect) < SMALL_PART * area(body) for body in bodies):
            continue
        x, y, x1, y1 = rect
        blob = labels[y:y1, x:x1] == label
        ink = blob & (fg[y:y1, x:x1] > 0)
        rows, cols = np.nonzero(ink)
        if rows.size == 0:
            continue
        body = (x + cols.min(), y + rows.min(), x + cols.max() + 1, y + rows.max() + 1)
        bodies.append(body)
        boxes.append(Box("person", tuple(v / scale for v in body), 1.0))
        solid = _silhouette(blob, r)
        heads = _heads(ink, solid, x, y, fg.shape, scale, drawn[y:y1, x:x1] > 0 if panels else None)
        if not heads:
            heads = _under_loops(blob, solid, ink, fg[y:y1, x:x1] > 0, (x, y), fg.shape, r, scale)
        for head in heads:
            hx0, hy0, hx1, hy1 = (int(round(v * scale)) for v in head.rect)
            own = drawn[max(0, hy0):hy1, max(0, hx0):hx1] > 0
            if own.size and own.mean() >= HEAD_INK and not _ruled(own, frame_h):
                boxes.append(head)
    return boxes, scenery


def _ruled(ink: np.ndarray, frame_h: int, shortest: float = 0) -> bool:
    """Whether a head box's outline ink (``ink``, working pixels) is drawn in straight lines: a
    prop, not a head (see RULED); lines ``shortest`` pixels long or longer where that is more."""
    import cv2

    h, w = ink.shape
    if h < RULED_SIZE * frame_h or not ink.any():
        return False
    length = max(2, int(RULED_LINE * min(w, h)), int(shortest))
    mask = ink.astype(np.uint8) * 255
    lines = cv2.HoughLinesP(mask, 1, np.pi / 180, length // 2, minLineLength=length, maxLineGap=2)
    if lines is None:
        return False
    on = np.zeros_like(mask)
    for x0, y0, x1, y1 in lines.reshape(-1, 4):
        cv2.line(on, (int(x0), int(y0)), (int(x1), int(y1)), 255, 3)
    return float((on[ink] > 0).mean()) >= RULED


def _under_loops(blob: np.ndarray, solid: np.ndarray, ink: np.ndarray, marks: np.ndarray,
                 corner: Tuple[int, int], frame: Tuple[int, int], r: int, scale: float) -> List[Box]:
    """Head boxes (frame pixels) of a headless blob whose figure stands in front of scenery
    outlines: a cloud or a sign drawn behind a head joins its outline to the crown, and its top
    line, not the head, is the blob's top.  Such scenery is an empty loop of outline (nothing is
    drawn inside a cloud; a head holds eyes and strands) much wider than tall; with the loops and
    their lines taken away the head stands out as a bump again.  Only a head that the loop runs
    past on both sides counts: a scenery line behind a head continues beyond it, a head's own
    hair cap does not.  ``solid``: the blob's silhouette; ``marks``: all the ink in the blob's
    box (a mark in a loop fills it);
    ``corner``: the blob's corner and ``frame`` (height, width): the working size."""
    loops = _empty_loops(blob, marks)
    if not loops:
        return []
    # the loop's lower line is the crown's own where the head touches it: cleared down to just
    # below that line, column by column, the head keeps its hair and stays round
    reach = r + max(2, round(LINE_WIDTH * frame[0]))
    labels, keep, spans = loops
    rows = np.arange(blob.shape[0])[:, None]
    inside = np.isin(labels, keep)
    bottom = np.where(inside.any(axis=0), blob.shape[0] - 1 - inside[::-1].argmax(axis=0), -1 - reach)
    veil = rows <= bottom + reach
    heads = _heads(ink & ~veil, solid & ~veil, corner[0], corner[1], frame, scale)
    kept = []
    for head in heads:
        hx0, hy0, hx1, _ = (v * scale - c for v, c in zip(head.rect, corner * 2))
        if any(x0 < hx0 and hx1 < x1 and y1 <= hy0 + reach for x0, x1, y1 in spans):
            kept.append(head)
    return kept


def _empty_loops(blob: np.ndarray, marks: np.ndarray):
    """(hole labels, the labels of the empty wide loops, their (left, right, bottom) in blob
    pixels) of ``blob``'s holes: a loop is empty when no ink of ``marks`` lies inside it."""
    import cv2

    holes = (_filled(blob) & ~blob).astype(np.uint8)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(holes, connectivity=4)
    keep, spans = [], []
    for i in range(1, count):
        x, y, w, h, _ = stats[i]
        if w >= LOOP_ASPECT * h and not marks[labels == i].any():
            keep.append(i)
            spans.append((int(x), int(x + w), int(y + h)))
    return (labels, keep, spans) if keep else None


def _blobs(fg: np.ndarray, r: int):
    """(blobs as (area, label, rect) largest first, the label picture, whether a blob was the
    background itself) of a foreground mask whose strokes closer than ``r`` join up."""
    import cv2

    sh, sw = fg.shape
    joined = cv2.dilate(fg, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(joined, connectivity=8)
    blobs, scenery = [], False
    for label in range(1, count):
        x, y, bw, bh, _ = stats[label]
        if max(bw, bh) < MIN_BLOB * sh:
            continue
        if _scenery((x, y, x + bw, y + bh), sw, sh):
            scenery = True
        else:
            blobs.append((bw * bh, label, (x, y, x + bw, y + bh)))
    return sorted(blobs, reverse=True), labels, scenery


def _scenery(rect, width: int, height: int) -> bool:
    """A blob running from the left edge to the right, or along three edges, is the background
    itself (a painted or rendered set, a dark room): no outline of a character stands out there,
    and what counts is the faces found in it."""
    x0, y0, x1, y1 = rect
    # counted as ints: numpy's booleans add up as a logical "or", which never reaches 3
    edges = int(x0 <= 1) + int(y0 <= 1) + int(x1 >= width - 1) + int(y1 >= height - 1)
    return (x0 <= 1 and x1 >= width - 1) or edges >= 3


def _silhouette(blob: np.ndarray, r: int) -> np.ndarray:
    """The blob as a solid shape: holes filled (a line-art face is an empty outline) and the
    joining dilation taken back."""
    import cv2

    mask = _filled(blob).astype(np.uint8) * 255
    return cv2.erode(mask, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * r + 1, 2 * r + 1))) > 0


def _filled(blob: np.ndarray) -> np.ndarray:
    """``blob`` (bool) with its holes filled."""
    import cv2

    mask = blob.astype(np.uint8) * 255
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    cv2.drawContours(mask, contours, -1, 255, cv2.FILLED)
    return mask > 0


def _head_extent(solid: np.ndarray, peak: int, y0: int, frame_h: int, panels: bool = False) -> Tuple[int, int, int]:
    """(left, right, bottom) of the head whose top is at (``peak``, ``y0``), in blob pixels: the
    silhouette's run under the top is followed down until it widens abruptly into shoulders or
    runs a head's width below the widest row (chin and neck).  ``panels``: kept off a panel's
    top that juts out beside it (see PANEL_TOP)."""
    return _followed(solid, peak, y0, frame_h, panels)[0]


def _followed(solid: np.ndarray, peak: int, y0: int, frame_h: int,
              panels: bool = False) -> Tuple[Tuple[int, int, int], bool]:
    """(``_head_extent``, whether a panel's top stopped the head's run: where none did, the
    extent is the one followed without ``panels``, and _kept_off need not follow it again)."""
    step = max(1, round(NECK_STEP * frame_h))
    y0 = _under_tip(solid[:, peak], int(y0), step)
    widths: List[int] = []
    widest, left, right = 0, peak, peak
    col = peak
    walls = [0, solid.shape[1] - 1]      # a panel's level top beside the head (PANEL_TOP) ends it there
    last = None
    for row in range(int(y0), solid.shape[0]):
        line = solid[row]
        if not line[col]:          # a gap between hair spikes: the nearest ink of the head's run
            near = np.flatnonzero(line[left:right + 1])
            if not near.size:
                widths.append(0)
                if len(widths) > step:
                    break
                continue
            col = left + int(near[np.argmin(np.abs(near + left - col))])
        lo, hi = _run(line, col)
        depth = row - int(y0)
        if panels and last is not None and hi - lo + 1 > SHOULDERS * (last[1] - last[0] + 1) and depth <= 0.6 * widest:
            walls = _panel_tops(solid, row, (lo, hi), last, walls, PANEL_TOP * frame_h)
        if max(lo, walls[0]) <= min(hi, walls[1]):
            lo, hi = max(lo, walls[0]), min(hi, walls[1])
        last = (lo, hi)
        w = hi - lo + 1
        if depth > step and depth > HEAD_DEPTH * widest:
            break
        if depth > 0.6 * widest and len(widths) >= step and w > SHOULDERS * max(1, widths[-step]):
            break
        if widths and w > SHOULDERS * max(1, widths[-1]) and _thin(solid, row, (lo, hi), col, step):
            # a scenery line touching the head's side (a wall's top edge, a window frame): the
            # run widens for a stroke's thickness and narrows again below it (_thin); where the
            # head's own width was taken from that row, the head was no longer round and a
            # stranger beside a main character, headless, left the frame named as that character
            lo, hi, w = max(lo, left), min(hi, right), widths[-1]
        widths.append(w)
        if w > widest:
            widest, left, right = w, lo, hi
    return (left, right, int(y0) + max(len(widths), 1)), walls != [0, solid.shape[1] - 1]


def _kept_off(solid: np.ndarray, drawn: np.ndarray, bump: Tuple[int, int, int], y0: float,
              frame_h: int) -> Tuple[int, int, int]:
    """``_head_extent`` kept off the panels beside the head (PANEL_TOP) where the head is one
    with the panel too: round, and not drawn in straight lines (RULED, in ``drawn``, the blob's
    outlines).  A crate's or a box's front face under its top is a level jut as well, and what it
    left of the box looked round and had too little of the box's lines to be ruled.  Kept off a
    panel, a head only shrinks: where it ran on past its own extent instead (kept narrow, it missed
    its shoulders' widening and ran on down, or out over a panel on its other side), it is left as
    it was; so too where the crown's ``bump`` (its first and last column and its peak's) runs on
    past it: the panel's top is as high as the crown, and the head box would be taken out over the
    bump again (probe half, shot 9: B's head box ran on over the night window on her other side)."""
    lo, hi, peak = bump
    kept, walled = _followed(solid, peak, y0, frame_h, panels=True)
    if not walled:
        return kept
    plain = _head_extent(solid, peak, y0, frame_h)
    if kept == plain:
        return kept
    left, right, bottom = plain
    if kept[0] < left or kept[1] > right or kept[2] > bottom or kept[0] > lo or kept[1] < hi:
        return plain
    # what it leaves out is the panel: drawn in straight lines (its frame), as _panel_beside asks;
    # a second head fused beside it, or long hair, is drawn in curves
    shortest = PANEL_LINE * (kept[2] - y0)
    if not all(_ruled(drawn[int(y0):bottom, a:b], frame_h, shortest)
               for a, b in ((left, kept[0]), (kept[1] + 1, right + 1)) if b > a):
        return plain
    if not _round(solid[int(y0):bottom, left:right + 1]):
        return plain
    if _ruled(drawn[int(y0):bottom, left:right + 1], frame_h):
        return plain
    return kept


def _panel_tops(solid: np.ndarray, row: int, run: Tuple[int, int], last: Tuple[int, int], walls: List[int],
                jut: float) -> List[int]:
    """``walls`` (the columns a head's run may not pass on its left and right) moved in to the
    head's run of the row above, ``last``, on each side where the run at ``row`` juts out past it
    by ``jut`` pixels or more under nothing, and stays that wide for as many rows below: a panel,
    filled down to the shoulder.  A spike of hair sticking out sideways tapers to its tip within
    a few rows, and hair (or a hat's brim) that juts out on both sides at once is the head's own:
    a panel stands on one side (see PANEL_TOP)."""
    above = solid[row - 1]          # row > 0: a row of the head's run is above it
    below = solid[row:row + int(np.ceil(jut))]
    left, right = (run[0], last[0]), (last[1] + 1, run[1] + 1)
    juts = [b - a >= jut and not above[a:b].any() and below[:, a:b].all() for a, b in (left, right)]
    walls = list(walls)
    if juts == [True, False]:
        walls[0] = last[0]
    elif juts == [False, True]:
        walls[1] = last[1]
    return walls


def _thin(solid: np.ndarray, row: int, run: Tuple[int, int], col: int, step: int) -> bool:
    """Whether the silhouette's ``run`` at ``row`` is wider than the head's run a ``step`` of rows
    below it (through ``col``) by SHOULDERS or more: a line, not the head widening."""
    below = min(solid.shape[0] - 1, row + step)
    if not solid[below, col]:
        return False
    lo, hi = _run(solid[below], col)
    return run[1] - run[0] + 1 > SHOULDERS * (hi - lo + 1)


def _under_tip(column: np.ndarray, y0: int, step: int) -> int:
    """Where a head's outline starts under ``y0`` in its peak's ``column``: a cowlick's or a
    spike's tip that the silhouette's erosion cut off from the hair (under a ``step`` of rows of
    it, then a gap of at most two steps) is hair, not the top of a head of its own; followed from
    the tip, the head ended in the gap, the size of the tip."""
    rows = np.flatnonzero(column[y0:])
    if not rows.size:
        return y0
    gaps = np.flatnonzero(np.diff(rows) > 1)
    if gaps.size and rows[gaps[0]] - rows[0] < step and rows[gaps[0] + 1] - rows[gaps[0]] <= 2 * step:
        return y0 + int(rows[gaps[0] + 1])
    return y0


def _run(line: np.ndarray, col: int) -> Tuple[int, int]:
    """The first and last column of the run of set pixels through ``col``."""
    # the nearest gap on either side, found without listing every gap of the row: this runs on
    # every row of every head
    before, after = ~line[col - 1::-1] if col > 0 else line[:0], ~line[col + 1:]
    lo = col - int(before.argmax()) if before.any() else 0
    hi = col + int(after.argmax()) if after.any() else len(line) - 1
    return lo, hi


def _heads(ink: np.ndarray, solid: np.ndarray, x: int, y: int, frame: Tuple[int, int], scale: float,
           drawn: Optional[np.ndarray] = None) -> List[Box]:
    """Head boxes (frame pixels) on the top outline of one blob: ``ink`` its strokes, ``solid``
    its silhouette, (``x``, ``y``) its corner and ``frame`` (height, width) the working size;
    ``drawn``: the outlines in the blob's box where its heads are kept off the panels beside them
    (see _kept_off), else None."""
    frame_h = frame[0]
    raw = np.where(ink.any(axis=0), ink.argmax(axis=0), np.inf).astype(np.float64)
    k = max(1, round(0.01 * frame_h))
    top = _smoothed(raw, k)
    # the outline with its breaks bridged (see BREAK): a crest is a second head only where the dip
    # between it and its bump is still there
    bridged_top = _smoothed(_bridged(raw, 2 * round(CLOSE * frame_h), BUMP * frame_h), k)
    heads = []
    body_top, body_h = top[np.isfinite(top)].min(), ink.shape[0]
    single = _bumps(top, BUMP * frame_h, HEAD_WIDTH * frame_h)
    bumps, crowned = [], []
    for run in _merge_close(single, top, VALLEY * frame_h):
        parts, two = _touching(run, single, top, solid, frame_h, (x, frame[1]))
        bumps += parts
        crowned += parts if two else []
    bumps, twins = _crests(bumps, crowned, top, solid, frame_h, bridged_top)
    tops = [None if _low_bump(top[peak], body_top, body_h) else top[peak] for _, _, peak in bumps]
    apart = None
    for k, (lo, hi, peak) in enumerate(bumps):
        y0 = tops[k]
        if y0 is None:
            continue
        if drawn is None:
            left, right, bottom = _head_extent(solid, peak, y0, frame_h)
        else:
            left, right, bottom = _kept_off(solid, drawn, (lo, hi, peak), y0, frame_h)
        if k in twins:
            # one head box over both crests: each is followed on its own side of the dip
            apart = apart or [_head_extent(_between(solid, bumps, j), p, t, frame_h) if t is not None else None
                              for j, ((_, _, p), t) in enumerate(zip(bumps, tops))]
            left, right, bottom = apart[k]
        elif len(bumps) > 1 and (bottom - int(y0) > HEAD_DEPTH * (right - left + 1) or bottom >= solid.shape[0]):
            # a run that met no chin before it got too deep for one head or ran out of the
            # blob: two heads whose hair touches share it, or one head's tufts sit on a long
            # neck.  Followed one by one,
            # each only up to the middle of the dip beside it, two heads end at their own chins
            # and the shared run was widest below them, at their shoulders; one head's tufts
            # together span the head, which was the shared run's widest row
            apart = apart or [_head_extent(_between(solid, bumps, j), p, t, frame_h) if t is not None else None
                              for j, ((_, _, p), t) in enumerate(zip(bumps, tops))]
            found = [e for e in apart if e]
            if right - left + 1 > SHOULDERS_BELOW * (max(e[1] for e in found) - min(e[0] for e in found) + 1):
                left, right, bottom = apart[k]
            elif panels := _beside_a_panel(ink, apart, tops, k, frame_h):
                left, right, bottom = _head_extent(_without(solid, bumps, k, panels), peak, y0, frame_h)
        left, right, bottom = _over_bump((left, right, bottom), lo, hi, y0)
        if not _round(solid[int(y0):bottom, left:right + 1]):
            alone = _alone(solid, single, (lo, hi), top, body_top, (x, y), frame)
            if alone is None:
                continue
            left, y0, right, bottom = alone
        heads.append(Box("head", ((x + left) / scale, (y + y0) / scale, (x + right + 1) / scale, (y + bottom) / scale),
                         1.0))
    return heads


def _smoothed(top: np.ndarray, k: int) -> np.ndarray:
    """``top`` (row of the topmost ink per column, inf where there is none) averaged over 2k+1
    columns: stroke jitter and the gaps between spikes smoothed out."""
    has = np.isfinite(top)
    if has.sum() <= k:
        return top
    filled = np.where(has, top, top[has].max())
    return np.where(has, np.convolve(np.pad(filled, k, mode="edge"), np.ones(2 * k + 1) / (2 * k + 1), "valid"), np.inf)


def _one_crown(top: np.ndarray, bridged_top: np.ndarray, bumps, rise: float) -> bool:
    """Whether every dip of the outline ``top`` between two neighbouring ``bumps`` (lo, hi, peak)
    is made by breaks (see BREAK): ``rise`` deep or more, and under ``rise`` on ``bridged_top`` (the
    outline with its breaks bridged).  A shallow dip between two crowns is left to the rules that
    judge it (see CREST)."""
    def dip(outline: np.ndarray, a, b) -> float:
        lo, hi = sorted((a[2], b[2]))
        return outline[lo:hi + 1].max() - max(outline[lo], outline[hi])

    return all(dip(top, a, b) >= rise > dip(bridged_top, a, b) for a, b in zip(bumps, bumps[1:]))


def _bridged(top: np.ndarray, gap: int, rise: float) -> np.ndarray:
    """``top`` (row of the topmost ink per column, inf where there is none) with every break in the
    outline bridged (see BREAK): a run of at most ``gap`` columns more than ``rise`` below the
    columns on both sides of it, which lie within BREAK of ``rise`` of each other."""
    out = top.copy()
    n, c = len(top), 1
    while c < n:
        left, end = top[c - 1], c
        while np.isfinite(left) and end < n and end - c < gap and top[end] - left > rise:
            end += 1
        if (c < end < n and abs(top[end] - left) <= BREAK * rise
                and top[c:end].min() - max(left, top[end]) > rise):
            out[c:end] = np.linspace(left, top[end], end - c + 2)[1:-1]
            c = end
        c += 1
    return out


def _low_bump(peak_row: float, body_top: float, body_h: int) -> bool:
    """Whether a bump whose top is at ``peak_row`` lies below a blob's upper part (HEAD_ZONE)."""
    return peak_row - body_top > HEAD_ZONE * body_h


def _crests(bumps, crowned, top: np.ndarray, solid: np.ndarray, frame_h: int, bridged_top: np.ndarray):
    """(``bumps`` with the second head of each that holds two (see CREST) added as a bump of its
    own, sorted; the indices of the bumps so split and of those in ``crowned``, to be followed
    apart).  ``bridged_top``: ``top`` with its breaks bridged; a dip made by breaks alone splits no
    crown (see BREAK)."""
    out, pairs = [], [tuple(crowned)]
    rise, n = BUMP * frame_h, len(top)
    for lo, hi, peak in bumps:
        out.append((lo, hi, peak))
        if not np.isfinite(top[peak]):
            continue
        left, right, bottom = _head_extent(solid, peak, top[peak], frame_h)
        found = None
        for side in (np.arange(left, lo), np.arange(hi + 1, right + 1)):
            side = side[(side >= 0) & (side < n)]
            side = side[np.isfinite(top[side])] if side.size else side
            if not side.size:
                continue
            c = int(side[np.argmin(top[side])])
            if top[c] - top[peak] > CREST * rise:
                continue
            clo, chi = _run_within(top, c, top[peak] + rise, (lo, hi))
            if clo <= hi and chi >= lo:
                continue               # no dip under the bump's depth between them: one crown
            width = chi - clo + 1
            pair = sorted([(lo, hi, peak), (clo, chi, c)])
            if (width >= max(TWINS * (hi - lo + 1), HEAD_WIDTH * frame_h)
                    and not _one_crown(top, bridged_top, pair, rise)
                    and width + hi - lo + 1 >= CREST_SPAN * (right - left + 1)
                    and not any(b[0] <= chi and clo <= b[1] for b in bumps)
                    and _deep_apart(pair, top, solid, frame_h, bottom - int(top[peak]))):
                found = (clo, chi, c)
                break
        if found:
            out.append(found)
            pairs.append(((lo, hi, peak), found))
    out.sort()
    twins = {k for k, b in enumerate(out) if any(b in p for p in pairs)}
    return out, twins


def _deep_apart(pair, top: np.ndarray, solid: np.ndarray, frame_h: int, depth: int) -> bool:
    """Whether each of two bumps, followed on its own side of the dip between them, runs at
    least CREST_DEEP of ``depth`` (the head box over both) below its top, and the silhouette
    under the dip between them has a notch: background between two chins (CREST_NOTCH)."""
    for k, (_, _, peak) in enumerate(pair):
        _, _, bottom = _head_extent(_between(solid, pair, k), peak, top[peak], frame_h)
        if bottom - int(top[peak]) < CREST_DEEP * depth:
            return False
    between = top[pair[0][1]:pair[1][0] + 1]
    if not np.isfinite(between).any():
        return True                    # no ink at all between them
    col = pair[0][1] + int(np.nanargmax(np.where(np.isfinite(between), between, np.nan)))
    y0 = int(top[col])
    rows = solid[y0:y0 + depth, col]
    return bool(rows.size) and rows.mean() <= 1 - CREST_NOTCH


def _beside_a_panel(ink: np.ndarray, apart, tops, k: int, frame_h: int) -> List[int]:
    """The other bumps of the run that head ``k`` shares that are panels drawn in straight lines
    (RULED: a lit window, a door, a wall panel standing beside the head at about its height on a
    night set): the shared run is then the head and scenery beside it, not two heads' hair, and the
    head is followed without them.  ``apart``: each bump's extent followed on its own, ``tops``
    their tops (blob pixels).  A filled blob's panel is told by its edge, a line drawing's by its
    lines."""
    panels = []
    for j, extent in enumerate(apart):
        if j == k or extent is None or apart[k] is None or tops[j] is None:
            continue
        if _ruled(_edges(ink[int(tops[j]):extent[2], extent[0]:extent[1] + 1]), frame_h):
            panels.append(j)
    return panels


def _without(solid: np.ndarray, bumps, k: int, panels: Sequence[int]) -> np.ndarray:
    """The silhouette with each panel of ``panels`` cleared from the middle of the dip on its
    head's side outward.  Only the panels: a head's own tufts, a bow or a hair ornament beside
    its crown are other bumps of the same run, and the head followed over them is whole (each
    bump followed alone, a tuft of straight hair beside a wall was taken for the head)."""
    own = solid.copy()
    for j in panels:
        if j < k:
            own[:, :(bumps[j][1] + bumps[j + 1][0]) // 2] = False
        else:
            own[:, (bumps[j - 1][1] + bumps[j][0]) // 2 + 1:] = False
    return own


def _alone(solid: np.ndarray, single, run: Tuple[int, int], top: np.ndarray, body_top: float,
           corner: Tuple[int, int], frame: Tuple[int, int]):
    """(left, top, right, bottom) in blob pixels of the head in a merged ``run`` of bumps that
    failed as one head, or None.  A character's outline joined to scenery lines behind it (a
    window's top, a roof) merges the head's bump with the scenery's; the head then is the run's
    highest and widest bump (scenery behind a standing figure shows beside and below its head),
    round on its own and clear of the frame's sides and bottom.  A cup on a plate is the highest
    bump of its run but narrower than the plate's: a prop, not a head.  A bump below the blob's
    upper part (HEAD_ZONE) is no measure of it: a cup stands on its plate, while a head stands
    far above the props on a table in front of it, and a seated figure's hand resting by a cup
    joins them to its outline, whose arm and shoulder then never dip below the cup's top (sweep
    half, shot 17: a plate wider than B's head's bump cost B her head, and a small extra far
    behind her was taken for the character)."""
    frame_h, frame_w = frame
    inner = [b for b in single if run[0] <= b[0] and b[1] <= run[1]]
    if len(inner) < 2:
        return None
    lo, hi, peak = min(inner, key=lambda b: top[b[2]])
    high = [b for b in inner if not _low_bump(top[b[2]], body_top, solid.shape[0])]
    if _low_bump(top[peak], body_top, solid.shape[0]) or any(b[1] - b[0] > hi - lo for b in high):
        return None
    y0 = top[peak]
    left, right, bottom = _over_bump(_head_extent(solid, peak, y0, frame_h), lo, hi, y0)
    w, h = right - left + 1, bottom - int(y0)
    clear = _clear((corner[0] + left, corner[1] + y0, corner[0] + right + 1, corner[1] + bottom), frame_w, frame_h)
    if clear and ALONE_ASPECT[0] <= h / w <= ALONE_ASPECT[1] and _round(solid[int(y0):bottom, left:right + 1]):
        return left, y0, right, bottom
    return None


def _over_bump(extent: Tuple[int, int, int], lo: int, hi: int, y0: float) -> Tuple[int, int, int]:
    """A head's (left, right, bottom) widened to cover its whole bump (columns ``lo``..``hi``,
    top ``y0``) and at least as deep as the bump is wide."""
    left, right, bottom = extent
    return min(left, lo), max(right, hi), max(bottom, int(y0) + hi - lo + 1)


def _between(solid: np.ndarray, bumps, k: int) -> np.ndarray:
    """The silhouette with everything beyond the middle of the dips beside bump ``k`` cleared."""
    own = solid.copy()
    if k > 0:
        own[:, :(bumps[k - 1][1] + bumps[k][0]) // 2] = False
    if k + 1 < len(bumps):
        own[:, (bumps[k][1] + bumps[k + 1][0]) // 2 + 1:] = False
    return own


def _round(region: np.ndarray) -> bool:
    """A head fills about the ellipse in its box and leaves the box's top corners mostly empty; a
    sign on a post, a window or a box fills them, a raised arm leaves the box half empty."""
    h, w = region.shape
    if not h or not w:
        return False
    fullness = region.mean() / (np.pi / 4)
    corners = region[_top_corners(h, w)]
    return HEAD_FULLNESS[0] <= fullness <= HEAD_FULLNESS[1] and (not corners.size or corners.mean() <= HEAD_CORNERS)


def _top_corners(h: int, w: int) -> np.ndarray:
    """The top corners of an ``h`` x ``w`` box outside the ellipse in it (bool mask)."""
    yy, xx = np.mgrid[0:h, 0:w]
    return (((xx + 0.5 - w / 2) / (w / 2)) ** 2 + ((yy + 0.5 - h / 2) / (h / 2)) ** 2 > 1) & (yy < h / 2)


def _touching(run, single, top: np.ndarray, solid: np.ndarray, frame_h: int, across: Tuple[int, int]):
    """A merged ``run`` of bumps, or its bumps apart when they are two heads whose hair touches:
    the run met no chin (it got too deep for one head, or ran out of the blob: two bodies stand
    under it) and it holds several bumps about as wide as each other, none cut by a side of the
    frame (``across``: the blob's left column and the frame's width; a bump the side cuts may be
    half a head, or hair and a ribbon of a figure's back).  One head's spikes, ears or buns
    under one chin end where that chin does and stay one head."""
    lo, hi, peak = run
    inner = sorted(b for b in single if lo <= b[0] and b[1] <= hi)
    if len(inner) < 2 or min(inner[0][0] + across[0], across[1] - 1 - inner[-1][1] - across[0]) <= EDGE * frame_h:
        return [run], False
    widths = [b[1] - b[0] + 1 for b in inner]
    if min(widths) < TWINS * max(widths):
        return [run], False
    left, right, bottom = _head_extent(solid, peak, top[peak], frame_h)
    if bottom - int(top[peak]) > HEAD_DEPTH * (right - left + 1) or bottom >= solid.shape[0]:
        return inner, False
    if (len(inner) == 2 and sum(widths) >= CREST_SPAN * (right - left + 1)
            and _deep_apart(inner, top, solid, frame_h, bottom - int(top[peak]))):
        # two crests, each about a head's crown, spanning the run's head box between them and
        # each running down to a chin of its own: two heads at one height whose bodies make no
        # blob (a dark set, see CREST), so the run met a chin
        return inner, True
    return [run], False


def _merge_close(bumps, top: np.ndarray, valley: float):
    """Join neighbouring bumps that the outline barely dips between: one head's hair spikes or
    ears.  Two heads side by side have a neck and shoulders between them."""
    merged = []
    for lo, hi, peak in sorted(bumps):
        if merged:
            plo, phi, ppeak = merged[-1]
            dip = top[phi:lo + 1]
            dip = dip[np.isfinite(dip)]
            if dip.size and dip.max() - max(top[ppeak], top[peak]) < valley:
                merged[-1] = (plo, hi, ppeak if top[ppeak] <= top[peak] else peak)
                continue
        merged.append((lo, hi, peak))
    return merged


def two_hair_masses(bgr: np.ndarray, boxes: Sequence[Box]) -> List[Box]:
    """``boxes`` (frame pixels; faces from any search among them) with every head box that holds
    one face and two hair masses cut in two (see HAIR_APART): the face's side, and the far side
    as a head of its own."""
    faces_ = [b for b in boxes if b.kind == "face"]
    if bgr.ndim != 3 or bgr.shape[2] != 3 or not faces_:
        return list(boxes)          # grey: no hue to tell hair apart
    out: List[Box] = []
    fill = None
    for box in boxes:
        held = _one_face(faces_, box.rect) if box.kind == "head" else None
        far = _far_side(box.rect, held) if held else None
        if far is None:
            out.append(box)
            continue
        if fill is None:
            fill = _hair_pixels(bgr)
        if not _two_palettes(bgr, fill, _bangs(held, box.rect), far):
            out.append(box)
            continue
        # the face's head keeps the box up to its hair's side (the far side's inner edge, see
        # _far_side); the far side, down the box's height, is the head beside it
        x0, y0, x1, y1 = box.rect
        right = far[0] > head_of(held)[0]
        cut = far[0] if right else far[2]
        parts = ((x0, cut), (cut, x1)) if right else ((cut, x1), (x0, cut))    # the face's head first
        out += [Box("head", (a, y0, b, y1), box.score) for a, b in parts]
    return out


def _one_face(faces_: Sequence[Box], head: Rect) -> Optional[Box]:
    """The one face in the head box ``head`` (FACE_IN_HEAD), every box the searches found on it
    taken as one (the rules' same_head: the face model's box and the ink's round outline, one of
    them taking in the hair or the brows): the one reaching lowest, to the chin, which the head
    it implies is measured from; None where the box holds no face or two."""
    held = [f for f in faces_ if inside_share(f.rect, head) >= FACE_IN_HEAD]
    if not held or any(not same_head(a, b) for i, a in enumerate(held) for b in held[i + 1:]):
        return None
    return max(held, key=lambda f: f.rect[3])


def _far_side(head: Rect, face: Box) -> Optional[Rect]:
    """The part of a head box beside the head ``face`` implies, past its hair (HAIR_SIDE), down
    to that head's crown (HAIR_SIDE of its height), on the side where the box runs on past that
    head by room for another head (BESIDE[1]); None where it runs on less on both sides."""
    own = head_of(face)
    w = own[2] - own[0]
    left, right = own[0] - head[0], head[2] - own[2]
    if max(left, right) < BESIDE[1] * w:
        return None
    crown = own[1] + HAIR_SIDE * (own[3] - own[1])
    if right >= left:
        return (own[2] + HAIR_SIDE * w, head[1], head[2], crown)
    return (head[0], head[1], own[0] - HAIR_SIDE * w, crown)


def _bangs(face: Box, head: Rect) -> Rect:
    """The hair over a face: the head box ``head`` above the face box, over the face's columns."""
    return (face.rect[0], head[1], face.rect[2], face.rect[1])


def _hair_pixels(bgr: np.ndarray) -> np.ndarray:
    """The bool mask of the pixels that may be hair: unlike the frame's border colours and not
    its dark ink lines."""
    colours = background_colours(bgr, edges=2)
    return unlike(bgr, colours) & (dark_ink(bgr, colours) == 0) & (lines_in_the_dark(bgr) == 0)


def _two_palettes(bgr: np.ndarray, fill: np.ndarray, near: Rect, far: Rect) -> bool:
    """Whether the fills in ``near`` and ``far`` (frame pixels) differ in hue (HAIR_APART), each
    region at least HAIR_FILL filled."""
    import cv2

    tones = []
    for r in (near, far):
        x0, y0, x1, y1 = (max(0, int(round(v))) for v in r)
        hair = fill[y0:y1, x0:x1]
        if not hair.size or hair.mean() < HAIR_FILL:
            return False
        lab = cv2.cvtColor(bgr[y0:y1, x0:x1], cv2.COLOR_BGR2LAB).astype(np.float32)
        tones.append(np.median(lab[hair][:, 1:], axis=0))
    return float(np.linalg.norm(tones[0] - tones[1])) >= HAIR_APART
