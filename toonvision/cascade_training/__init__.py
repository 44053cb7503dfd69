"""Training boosted cascades (Viola–Jones, Gentle AdaBoost stumps) that OpenCV's CascadeClassifier loads.

opencv_traincascade ships neither with opencv-python nor with Debian, so this package trains the same
kind of cascade in torch and writes the same new-format XML: Haar (BASIC set) or multi-block LBP
features, stage-wise boosting to a hit rate / false-alarm target, and hard negatives mined with the
cascade trained so far. The torch evaluator reproduces cv::CascadeClassifier's decisions exactly.

    params = CascadeParams(stages=12, feature="haar", window=24)
    report = train_cascade("data/pip/positives", "data/pip/negatives", "models/pip.xml", params)
    cv2.CascadeClassifier("models/pip.xml").detectMultiScale(gray)

Django-free: plain numpy, OpenCV and torch.
"""

from .cascade import Cascade, CascadeEvaluator, Stage, Stump, cascade_xml, read_cascade
from .params import FEATURE_TYPES, CascadeParams, CascadeTrainingError, TrainingCancelled
from .trainer import train_cascade

__all__ = [
    "FEATURE_TYPES",
    "Cascade",
    "CascadeEvaluator",
    "CascadeParams",
    "CascadeTrainingError",
    "Stage",
    "Stump",
    "TrainingCancelled",
    "cascade_xml",
    "read_cascade",
    "train_cascade",
]
