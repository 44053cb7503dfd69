"""The embedded broker `make run` uses with no configuration: kombu's filesystem transport, except that a message
appears in the queue folder only once it is whole.

Kombu's own transport creates the message file under its final name and then writes it, while a worker polling the
folder moves and reads any file with that name: a worker that polls at the wrong moment reads an empty message,
stops with "Unrecoverable error: JSONDecodeError", and the range task is lost with it (the producer's write was
moved away). The message is written under a name no worker takes (not ending in .msg) and renamed into place.
"""

import os
import tempfile
import uuid
from time import monotonic

from kombu.exceptions import ChannelError
from kombu.transport import filesystem
from kombu.utils.encoding import str_to_bytes
from kombu.utils.json import dumps


class Channel(filesystem.Channel):
    def _put(self, queue, payload, **kwargs):
        """Put a message on `queue`: written beside the queue's files, renamed in when complete."""
        name = f"{int(round(monotonic() * 1000))}_{uuid.uuid4()}.{queue}.msg"
        handle, partial = tempfile.mkstemp(dir=self.data_folder_out, prefix=".", suffix=".part")
        try:
            with os.fdopen(handle, "wb") as out:
                out.write(str_to_bytes(dumps(payload)))
            os.replace(partial, os.path.join(self.data_folder_out, name))
        except OSError as error:
            raise ChannelError(f"Cannot add file {name!r} to directory") from error
        finally:
            if os.path.lexists(partial):
                os.unlink(partial)


class Transport(filesystem.Transport):
    Channel = Channel
