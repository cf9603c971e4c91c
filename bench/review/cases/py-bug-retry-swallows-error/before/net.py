"""Network helpers."""
import time
