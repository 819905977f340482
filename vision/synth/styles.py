"""Render styles: how hard the camera and light are on a scene.

"train" is the wide randomisation a detector learns from; "hard" is held out for
evaluation only (stronger perspective, blur and glare than anything "train" draws);
"clean" turns the photographic effects off, for debugging and tests.
"""

from __future__ import annotations

from dataclasses import dataclass

Range = tuple[float, float]


@dataclass(frozen=True)
class Style:
    """Ranges the photographic effects draw from; probabilities are per scene.

    Attributes:
        perspective: Max relative shortening of one image edge (camera yaw / pitch).
        roll_deg: Max camera roll in degrees.
        zoom: Range of zoom into the rendered canvas; above 1 crops the scene.
        blur_p: Probability of lens blur; blur_sigma: its sigma range in px.
        motion_p: Probability of motion blur; motion_px: its length range in px.
        glare_p: Probability of glare; glare: peak glare added, in [0, 1] of white.
        light: Max unevenness of illumination (relative gain swing).
        noise: Range of sensor noise sigma, in 8-bit levels.
        jpeg: Range of JPEG quality.
        occluder_p: Probability of foreground clutter (hands, trolleys, tags).
    """

    name: str
    perspective: float
    roll_deg: float
    zoom: Range
    blur_p: float
    blur_sigma: Range
    motion_p: float
    motion_px: Range
    glare_p: float
    glare: Range
    light: float
    noise: Range
    jpeg: tuple[int, int]
    occluder_p: float


# fmt: off
STYLES: dict[str, Style] = {
    "clean": Style(
        name="clean", perspective=0.0, roll_deg=0.0, zoom=(1.0, 1.0),
        blur_p=0.0, blur_sigma=(0.0, 0.0), motion_p=0.0, motion_px=(0.0, 0.0),
        glare_p=0.0, glare=(0.0, 0.0), light=0.0, noise=(0.0, 0.0), jpeg=(95, 95),
        occluder_p=0.0,
    ),
    "train": Style(
        name="train", perspective=0.16, roll_deg=6.0, zoom=(1.0, 1.5),
        blur_p=0.45, blur_sigma=(0.4, 1.8), motion_p=0.2, motion_px=(3.0, 10.0),
        glare_p=0.35, glare=(0.15, 0.55), light=0.35, noise=(1.0, 7.0), jpeg=(45, 95),
        occluder_p=0.35,
    ),
    "hard": Style(
        name="hard", perspective=0.3, roll_deg=12.0, zoom=(1.0, 1.8),
        blur_p=0.8, blur_sigma=(1.2, 3.0), motion_p=0.5, motion_px=(8.0, 18.0),
        glare_p=0.85, glare=(0.45, 0.85), light=0.55, noise=(4.0, 12.0), jpeg=(25, 70),
        occluder_p=0.6,
    ),
}
# fmt: on


def get_style(name: str) -> Style:
    """The style called `name`.

    Raises:
        ValueError: `name` is not one of STYLES.
    """
    try:
        return STYLES[name]
    except KeyError:
        raise ValueError(f"style must be one of {sorted(STYLES)}, got {name!r}") from None
