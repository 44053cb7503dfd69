"""The embedded broker (toonsite/broker.py): a message is in the queue folder whole or not at all, so a worker
polling the folder never takes a half-written message; and messages go round as with kombu's own transport."""

import os

import pytest
from kombu import Connection

from toonsite import broker


@pytest.fixture(scope="module")
def folder(tmp_path_factory):
    """One broker folder for the module: kombu keeps the queues' bindings per process, as a worker has one folder."""
    return tmp_path_factory.mktemp("broker")


def _connection(folder):
    for sub in ("queue", "processed", "control"):
        (folder / sub).mkdir(exist_ok=True)
    return Connection(
        transport=broker.Transport,
        transport_options={
            "data_folder_in": str(folder / "queue"),
            "data_folder_out": str(folder / "queue"),
            "processed_folder": str(folder / "processed"),
            "control_folder": str(folder / "control"),
            "polling_interval": 0.01,
        },
    )


def test_a_message_appears_in_the_queue_folder_only_when_whole(folder, monkeypatch):
    seen = []
    real_replace = os.replace

    def replace_and_look(source, target):  # the real rename; what a polling worker would see just before it
        seen.append(
            (sorted(p.name for p in (folder / "queue").iterdir() if p.name.endswith(".msg")), os.path.getsize(source))
        )
        return real_replace(source, target)

    monkeypatch.setattr(broker.os, "replace", replace_and_look)
    with _connection(folder) as connection:
        queue = connection.SimpleQueue("gpu")
        queue.put({"range": 1})
        assert seen and seen[0][0] == [] and seen[0][1] > 0  # nothing a worker takes until it is all written
        assert [p.name for p in (folder / "queue").iterdir() if p.name.endswith(".part")] == []
        message = queue.get(timeout=5)
        assert message.payload == {"range": 1}
        message.ack()
        queue.close()


def test_every_message_goes_round_and_leaves_nothing_behind(folder):
    with _connection(folder) as connection:
        queue = connection.SimpleQueue("gpu")
        for n in range(5):
            queue.put({"n": n})
        got = []
        for _ in range(5):
            message = queue.get(timeout=5)
            got.append(message.payload["n"])
            message.ack()
        queue.close()
    assert sorted(got) == [0, 1, 2, 3, 4]  # kombu orders by the millisecond a message was sent, then at random
    assert [p.name for p in (folder / "queue").iterdir() if p.name.endswith((".msg", ".part"))] == []
