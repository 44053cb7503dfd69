"""ToonSite's vision core: plain numpy / OpenCV / torch, importable without Django.

Conventions shared by every module here:
- images are numpy ``uint8`` arrays, H x W x 3, in OpenCV's BGR channel order;
- emotions are the canonical names in ``toonvision.emotions.EMOTIONS``;
- functions take arrays and paths and return plain data (dataclasses, dicts), never ORM objects.
"""
