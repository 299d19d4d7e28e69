"""Safe loading and atomic writing."""

import os
import pickle
import stat

import pytest

from n2n_lib.errors import InputError
from n2n_lib.io import load_torch, save_json


@pytest.mark.parametrize("protocol", [2, 4])
def test_a_pickle_that_would_run_code_is_refused_with_the_reason(tmp_path, protocol):
    marker = tmp_path / "ran"

    class Payload:
        def __reduce__(self):
            return (os.system, (f"touch {marker}",))

    evil = tmp_path / "evil.pt"
    evil.write_bytes(pickle.dumps({"weights": Payload()}, protocol=protocol))
    with pytest.raises(InputError, match="refused") as info:
        load_torch(evil, what="checkpoint")
    message = str(info.value)
    assert "\x1b[" not in message and "PyTorch 2.6" not in message  # the specific reason, not torch's boilerplate
    assert ("GLOBAL" in message) or ("operand" in message)
    assert "add_safe_globals" not in message  # torch's how-to-allow-it advice is left out
    assert not marker.exists()


def test_written_files_get_ordinary_permissions(tmp_path):
    path = save_json({"a": 1}, tmp_path / "r.json")
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(path.stat().st_mode) == 0o666 & ~mask
