"""Reading, validating and writing channelgraph data (the only room that touches files)."""

from .problems import DatasetError, Problem
from .read import detect_encoding, read_csv_table
from .validate import Dataset, dataset_from_frames, load_dataset, validate

__all__ = [
    "Dataset",
    "DatasetError",
    "Problem",
    "dataset_from_frames",
    "detect_encoding",
    "load_dataset",
    "read_csv_table",
    "validate",
]
