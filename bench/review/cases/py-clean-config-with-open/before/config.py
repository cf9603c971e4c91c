"""Reading the JSON configuration."""
import json


def load_config(path):
    f = open(path)
    data = json.load(f)
    return data
