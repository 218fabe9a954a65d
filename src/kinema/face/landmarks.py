"""Index sets of the 478-point MediaPipe face mesh that the engine relies on.

"Left"/"right" here are the *image's* left and right (the viewer's), not the subject's, so that
manual points marked on a picture map onto the same names.
"""

from __future__ import annotations

import numpy as np

N_POINTS = 478

# eyes: corners, upper lid (corner to corner), lower lid (corner to corner)
EYE_L_OUTER, EYE_L_INNER = 33, 133
EYE_R_INNER, EYE_R_OUTER = 362, 263
EYE_L_UPPER = (33, 246, 161, 160, 159, 158, 157, 173, 133)
EYE_L_LOWER = (33, 7, 163, 144, 145, 153, 154, 155, 133)
EYE_R_UPPER = (362, 398, 384, 385, 386, 387, 388, 466, 263)
EYE_R_LOWER = (362, 382, 381, 380, 374, 373, 390, 249, 263)
IRIS_L = (468, 469, 470, 471, 472)  # centre first
IRIS_R = (473, 474, 475, 476, 477)

BROW_L = (70, 63, 105, 66, 107, 46, 53, 52, 65, 55)
BROW_R = (300, 293, 334, 296, 336, 276, 283, 282, 295, 285)
BROW_L_INNER, BROW_R_INNER = (107, 66, 55, 65), (336, 296, 285, 295)

MOUTH_L, MOUTH_R = 61, 291
LIP_UPPER_OUTER = (61, 185, 40, 39, 37, 0, 267, 269, 270, 409, 291)
LIP_LOWER_OUTER = (61, 146, 91, 181, 84, 17, 314, 405, 321, 375, 291)
LIP_UPPER_INNER = (78, 191, 80, 81, 82, 13, 312, 311, 310, 415, 308)
LIP_LOWER_INNER = (78, 95, 88, 178, 87, 14, 317, 402, 318, 324, 308)
# every point of each lip (four rings from the outer edge to the inner line), corners apart
UPPER_LIP = (
    185,
    40,
    39,
    37,
    0,
    267,
    269,
    270,
    409,
    184,
    74,
    73,
    72,
    11,
    302,
    303,
    304,
    408,
    183,
    42,
    41,
    38,
    12,
    268,
    271,
    272,
    407,
    191,
    80,
    81,
    82,
    13,
    312,
    311,
    310,
    415,
)
LOWER_LIP = (
    146,
    91,
    181,
    84,
    17,
    314,
    405,
    321,
    375,
    77,
    90,
    180,
    85,
    16,
    315,
    404,
    320,
    307,
    96,
    89,
    179,
    86,
    15,
    316,
    403,
    319,
    325,
    95,
    88,
    178,
    87,
    14,
    317,
    402,
    318,
    324,
)
LIP_CORNERS = (61, 76, 62, 78, 291, 306, 292, 308)
UPPER_LIP_MID, LOWER_LIP_MID = 0, 17
UPPER_INNER_MID, LOWER_INNER_MID = 13, 14

NOSE_TIP, CHIN, FOREHEAD = 1, 152, 10
CHEEK_L, CHEEK_R = 234, 454
FACE_OVAL = (
    10,
    338,
    297,
    332,
    284,
    251,
    389,
    356,
    454,
    323,
    361,
    288,
    397,
    365,
    379,
    378,
    400,
    377,
    152,
    148,
    176,
    149,
    150,
    136,
    172,
    58,
    132,
    93,
    234,
    127,
    162,
    21,
    54,
    103,
    67,
    109,
)

# manual keypoint name -> mesh points whose mean is that keypoint
KEYPOINTS: dict[str, tuple[int, ...]] = {
    "left_eye": (33, 133, 159, 145),
    "right_eye": (362, 263, 386, 374),
    "nose_tip": (1,),
    "mouth_left": (61,),
    "mouth_right": (291,),
    "upper_lip": (0,),
    "lower_lip": (17,),
    "chin": (152,),
}


def keypoints_of(points: np.ndarray) -> dict[str, np.ndarray]:
    """The eight named keypoints (x, y) of a 478-point mesh."""
    return {k: points[list(idx), :2].mean(axis=0) for k, idx in KEYPOINTS.items()}


def polyline(points: np.ndarray, idx: tuple[int, ...]) -> np.ndarray:
    return points[list(idx), :2]
