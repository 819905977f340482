"""Word lists and pack formats the procedural catalogue draws from."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from vision.synth.palette import RGB


@dataclass(frozen=True)
class PackFormat:
    """A physical pack format: shape, front size in cm and its label."""

    shape: str
    width_cm: float
    height_cm: float
    label: str


def _f(shape: str, w: float, h: float, label: str) -> PackFormat:
    return PackFormat(shape, w, h, label)


FORMATS: dict[str, tuple[PackFormat, ...]] = {
    "beverages": (
        _f("can", 6.6, 11.5, "330 ml"),
        _f("can", 6.6, 16.8, "500 ml"),
        _f("can", 5.8, 13.4, "250 ml"),
        _f("bottle", 6.5, 21.0, "500 ml"),
        _f("bottle", 8.0, 27.0, "1 L"),
        _f("bottle", 9.2, 31.0, "1.5 L"),
        _f("bottle", 10.5, 33.0, "2 L"),
        _f("box", 6.0, 17.0, "1 L"),
    ),
    "snacks": (
        _f("pouch", 18.0, 26.0, "150 g"),
        _f("pouch", 13.0, 19.0, "70 g"),
        _f("pouch", 22.0, 31.0, "250 g"),
        _f("box", 15.0, 20.0, "200 g"),
        _f("can", 7.5, 23.0, "165 g"),
    ),
    "cereal": (
        _f("box", 19.0, 28.0, "375 g"),
        _f("box", 22.0, 32.0, "500 g"),
        _f("box", 14.0, 21.0, "250 g"),
        _f("pouch", 16.0, 24.0, "400 g"),
    ),
    "dairy": (
        _f("bottle", 8.0, 24.0, "1 L"),
        _f("box", 7.0, 19.5, "1 L"),
        _f("jar", 7.5, 8.5, "150 g"),
        _f("jar", 10.0, 10.5, "500 g"),
        _f("box", 5.0, 12.0, "250 ml"),
    ),
    "household": (
        _f("bottle", 10.0, 28.0, "1.5 L"),
        _f("bottle", 7.0, 22.0, "750 ml"),
        _f("box", 20.0, 28.0, "2 kg"),
        _f("pouch", 14.0, 24.0, "1 L"),
    ),
    "personal care": (
        _f("bottle", 7.0, 20.0, "400 ml"),
        _f("bottle", 5.5, 17.0, "250 ml"),
        _f("box", 18.0, 4.5, "100 ml"),
        _f("jar", 9.0, 7.0, "200 ml"),
        _f("can", 5.0, 17.0, "150 ml"),
    ),
    "confectionery": (
        _f("pouch", 15.0, 20.0, "180 g"),
        _f("box", 12.0, 16.0, "100 g"),
        _f("jar", 11.0, 14.0, "400 g"),
        _f("box", 17.0, 8.0, "100 g"),
    ),
}
CATEGORIES: tuple[str, ...] = tuple(FORMATS)

FLAVOURS: dict[str, tuple[str, ...]] = {
    "beverages": (
        "Cola",
        "Zero",
        "Lemon",
        "Orange",
        "Cherry",
        "Lime",
        "Mango",
        "Apple",
        "Ginger",
        "Berry",
        "Peach",
        "Grape",
        "Tropical",
        "Original",
    ),
    "snacks": (
        "Salted",
        "Paprika",
        "Cheese",
        "Sour Cream",
        "BBQ",
        "Chili",
        "Onion",
        "Salt & Vinegar",
        "Pepper",
        "Original",
        "Herbs",
        "Lime",
    ),
    "cereal": (
        "Honey",
        "Choco",
        "Original",
        "Fruit",
        "Nut",
        "Oat",
        "Bran",
        "Berry",
        "Cinnamon",
        "Vanilla",
    ),
    "dairy": (
        "Whole",
        "Light",
        "Vanilla",
        "Strawberry",
        "Plain",
        "Greek",
        "Choco",
        "Banana",
        "Peach",
        "Lactose Free",
    ),
    "household": (
        "Lemon",
        "Fresh",
        "Lavender",
        "Ocean",
        "Sensitive",
        "Colour",
        "Ultra",
        "Pine",
        "Original",
        "Spring",
    ),
    "personal care": (
        "Classic",
        "Mint",
        "Aloe",
        "Sensitive",
        "Men",
        "Fresh",
        "Repair",
        "Volume",
        "Kids",
        "Coconut",
    ),
    "confectionery": (
        "Milk",
        "Dark",
        "Hazelnut",
        "Caramel",
        "Mint",
        "Fruit",
        "Sour",
        "White",
        "Almond",
        "Orange",
    ),
}

FLAVOUR_COLOURS: dict[str, RGB] = {
    "Cola": (120, 20, 20),
    "Zero": (20, 20, 20),
    "Lemon": (245, 225, 40),
    "Orange": (250, 140, 20),
    "Cherry": (190, 20, 60),
    "Lime": (120, 200, 40),
    "Mango": (250, 180, 40),
    "Apple": (110, 190, 60),
    "Ginger": (210, 170, 90),
    "Berry": (120, 40, 150),
    "Peach": (250, 170, 130),
    "Grape": (100, 40, 120),
    "Strawberry": (230, 50, 80),
    "Choco": (100, 55, 30),
    "Honey": (230, 170, 30),
    "Mint": (90, 210, 170),
    "Dark": (60, 35, 25),
    "Caramel": (200, 130, 50),
    "Lavender": (160, 130, 210),
    "Ocean": (30, 120, 200),
    "Chili": (210, 30, 20),
    "Cheese": (250, 200, 60),
    "BBQ": (140, 50, 30),
    "Paprika": (220, 70, 30),
}

SYLLABLES = (
    "ka",
    "lo",
    "mi",
    "ra",
    "ve",
    "to",
    "su",
    "na",
    "zo",
    "be",
    "di",
    "fi",
    "go",
    "ha",
    "ju",
    "ke",
    "li",
    "mo",
    "nu",
    "pa",
    "qui",
    "ro",
    "sa",
    "ti",
    "vo",
    "wa",
    "xi",
    "yo",
    "ze",
    "bra",
    "cro",
    "dre",
    "fla",
    "gri",
    "plo",
    "sta",
    "tri",
    "vel",
    "mar",
    "kor",
    "lan",
    "ten",
    "vis",
    "dor",
    "pur",
)
ENDINGS = ("", "", "", "x", "n", "s", "r", "l", "ia", "ex", "io", "on", "ix", "ly")
WORDS = (
    "Fresh",
    "Gold",
    "Max",
    "Farm",
    "Valley",
    "Sun",
    "Pure",
    "Royal",
    "Happy",
    "Crisp",
    "Nova",
    "Star",
    "Prime",
    "Wild",
    "Blue",
    "Green",
    "Good",
    "Daily",
)


def brand_name(rng: np.random.Generator) -> str:
    """A pronounceable made-up brand name such as "Kaveto" or "Sun Drelo"."""
    n = int(rng.integers(2, 4))
    stem = "".join(SYLLABLES[i] for i in rng.integers(0, len(SYLLABLES), n))
    stem = (stem + ENDINGS[int(rng.integers(0, len(ENDINGS)))]).capitalize()
    roll = rng.random()
    if roll < 0.15:
        return f"{WORDS[int(rng.integers(0, len(WORDS)))]} {stem}"
    if roll < 0.25:
        return f"{stem} {WORDS[int(rng.integers(0, len(WORDS)))]}"
    return stem
