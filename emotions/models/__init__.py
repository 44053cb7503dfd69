"""The emotions app's models, one module per part of the domain; import them from here
(`from emotions.models import Character`).

- characters: Character (the faces the site looks for)
- episodes: Episode, ProcessingRun, FrameRange, Detection, EpisodeEmotion (videos and what was found in them)
- teaching: CharacterExample, CharacterVersion (teaching the site a character and training its cascade)
- moments: Moment (one track's run of one emotion: what the frame search lists)
- learning: FaceLabel, DatasetFace, EmotionModel (people's labels, imported datasets, the emotion model registry)
"""
from emotions.models.characters import EMOTION_CHOICES, Character, validate_character_slug
from emotions.models.episodes import (
    Detection,
    DetectionQuerySet,
    Episode,
    EpisodeEmotion,
    FrameRange,
    ProcessingRun,
    Status,
    episode_upload_to,
)
from emotions.models.learning import DatasetFace, EmotionModel, FaceLabel, dataset_face_upload_to
from emotions.models.moments import Moment, MomentQuerySet
from emotions.models.teaching import CharacterExample, CharacterVersion, example_upload_to

__all__ = [
    "EMOTION_CHOICES",
    "Character",
    "CharacterExample",
    "CharacterVersion",
    "DatasetFace",
    "Detection",
    "DetectionQuerySet",
    "EmotionModel",
    "Episode",
    "EpisodeEmotion",
    "FaceLabel",
    "FrameRange",
    "Moment",
    "MomentQuerySet",
    "ProcessingRun",
    "Status",
    "dataset_face_upload_to",
    "episode_upload_to",
    "example_upload_to",
    "validate_character_slug",
]
