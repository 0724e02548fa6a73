import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
import collection_path  # noqa: E402

collection_path.ensure()
