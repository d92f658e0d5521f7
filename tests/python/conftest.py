"""Fixtures: a real `tessera serve` process and SpiceDB's official Python client bound to it.

The binary comes from $TESSERA_BIN (scripts/test points it at the workspace build). Each test
module gets a fresh server over a fresh data directory.
"""

import os
import socket
import subprocess
import tempfile
import time

import grpc
import pytest
from authzed.api.v1 import Client
from grpcutil import insecure_bearer_token_credentials

KEY = "python-client-key-0123456789"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_until_serving(address: str, process: subprocess.Popen, deadline: float) -> None:
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"tessera serve exited early with status {process.returncode}")
        try:
            grpc.channel_ready_future(grpc.insecure_channel(address)).result(timeout=0.5)
            return
        except grpc.FutureTimeoutError:
            continue
    raise RuntimeError(f"tessera serve did not answer on {address} within the deadline")


@pytest.fixture(scope="module")
def server():
    binary = os.environ.get("TESSERA_BIN")
    if not binary:
        raise RuntimeError("set TESSERA_BIN to the tessera binary (scripts/test does)")
    address = f"127.0.0.1:{_free_port()}"
    with tempfile.TemporaryDirectory() as data_dir:
        process = subprocess.Popen(
            [binary, "serve", "--data-dir", data_dir, "--listen", address, "--no-metrics",
             "--preshared-key", KEY],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            _wait_until_serving(address, process, time.monotonic() + 30)
            yield address
        finally:
            process.terminate()
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
                raise
            assert process.returncode == 0, process.stderr.read().decode()


@pytest.fixture(scope="module")
def client(server):
    return Client(server, insecure_bearer_token_credentials(KEY))


@pytest.fixture(scope="module")
def stranger(server):
    return Client(server, insecure_bearer_token_credentials("not-a-key-we-know"))
