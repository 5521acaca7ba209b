"""The blood-volume pulse colour signature: how skin colour changes per unit of blood volume.

Relative change per channel, unit length (de Haan & van Leest 2014): R 0.33, G 0.77, B 0.53.
"""

import numpy as np

BLOOD_VOLUME_RGB = (np.array([0.33, 0.77, 0.53]) / np.linalg.norm([0.33, 0.77, 0.53])).astype(np.float32)
BLOOD_VOLUME_BGR = BLOOD_VOLUME_RGB[::-1].copy()
