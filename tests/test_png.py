"""The extractor's PNG writer against two independent decoders."""

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from anim2lora.png import encode_png


@pytest.mark.parametrize("shape", [(37, 53), (37, 53, 3), (5, 7, 4), (1, 1), (1080, 1920, 3)])
def test_png_round_trips_exactly(shape):
    rng = np.random.default_rng(sum(shape))
    image = rng.integers(0, 256, shape, dtype=np.uint8)
    image[: shape[0] // 2] = 255             # flat areas too, as in line art
    data = encode_png(image)
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(data))), image)
    decoded = cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_UNCHANGED)
    expected = image if image.ndim == 2 else cv2.cvtColor(image, cv2.COLOR_RGB2BGR if shape[2] == 3 else cv2.COLOR_RGBA2BGRA)
    assert np.array_equal(decoded, expected)


def test_png_refuses_what_it_cannot_write():
    with pytest.raises(ValueError):
        encode_png(np.zeros((4, 4), np.float32))
