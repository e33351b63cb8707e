"""``python -m producer.tools.local`` (``make local``): the producer on this machine, end to end.

1. starts a Kinesis-compatible server (moto's server mode) on loopback and creates a stream;
2. starts the service (``python -m producer``) against it;
3. sends the sample's curl request (with ``curl`` when installed) and a few more;
4. reads the stream back, deaggregated, and prints the records;
5. keeps everything running for your own requests until Ctrl-C (``--once``: stops at once).

Nothing leaves the machine: the AWS credentials are dummies and every address is 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from .consume import make_client, read_stream

REGION = "us-east-1"
#: moto's server mode, answering one request at a time. Its threaded server (what
#: ``python -m moto.server`` runs) can lose records under concurrent puts: two puts to one
#: shard may get the same sequence number, and the second overwrites the first.
_SERIAL_MOTO_SERVER = (
    "import sys\n"
    "from werkzeug.serving import run_simple\n"
    "from moto.moto_server.werkzeug_app import (\n"
    "    DomainDispatcherApplication, MotoRequestHandler, create_backend_app)\n"
    "run_simple('127.0.0.1', int(sys.argv[1]), DomainDispatcherApplication(create_backend_app),\n"
    "           threaded=False, request_handler=MotoRequestHandler)\n"
)
SAMPLE_RECORD = '{"data":" This is a testing record"}'
_ROOT = Path(__file__).resolve().parent.parent


def kinesis_server_command(port: int) -> list[str]:
    """The command that runs a Kinesis-compatible server (moto) on 127.0.0.1:``port``."""
    return [sys.executable, "-c", _SERIAL_MOTO_SERVER, str(port)]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def wait_for(url: str, timeout: float, process: subprocess.Popen[Any]) -> None:
    """Poll ``url`` until it answers 2xx; fail if ``process`` exits or time runs out."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{process.args!r} exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except (urllib.error.URLError, OSError):
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


def stop(process: subprocess.Popen[Any], timeout: float = 25) -> int | None:
    """SIGTERM, then SIGKILL after ``timeout`` seconds; return the exit status."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    return process.returncode


def post(url: str, body: str, content_type: str = "application/json") -> tuple[int, str]:
    request = urllib.request.Request(
        url, data=body.encode(), headers={"Content-Type": content_type}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=35) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def metric(base_url: str, name: str) -> float:
    with urllib.request.urlopen(f"{base_url}/metrics", timeout=5) as response:
        for line in response.read().decode().splitlines():
            if line.startswith(name + " "):
                return float(line.split()[1])
    raise KeyError(name)


def demo_requests(base_url: str) -> None:
    """The sample's curl test, then a few of the other ways in."""
    curl = shutil.which("curl")
    print(f"\n$ curl --header \"Content-Type: application/json\" --data-raw '{SAMPLE_RECORD}' "
          f"{base_url}/")  # fmt: skip
    if curl:
        answer = subprocess.run(
            [curl, "-sS", "--header", "Content-Type: application/json",
             "--data-raw", SAMPLE_RECORD, f"{base_url}/"],
            capture_output=True, text=True, check=True, timeout=30,
        ).stdout  # fmt: skip
        print(answer)
    else:
        print(post(f"{base_url}/", SAMPLE_RECORD)[1], "  (curl is not installed: sent by Python)")
    more = [
        (f"{base_url}/", '{"data":"with a partition key","partitionKey":"customer-42"}'),
        (f"{base_url}/?wait=true", '{"data":"answered once Kinesis confirmed it"}'),
    ]
    for url, body in more:
        status, answer = post(url, body)
        print(f"POST {url.removeprefix(base_url) or '/'} {body}\n  -> {status} {answer}")
    batch = "".join(json.dumps({"data": f"batch record {n}"}) + "\n" for n in range(1, 4))
    status, answer = post(f"{base_url}/records", batch, "application/x-ndjson")
    print(f"POST /records (3 lines of NDJSON)\n  -> {status} {answer}")
    status, answer = post(f"{base_url}/", '{"data": 42}')
    print(f'POST / {{"data": 42}}\n  -> {status} {answer}')


def port_is_free(port: int) -> bool:
    """Whether this machine's port ``port`` takes a listener (as the producer binds it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind(("0.0.0.0", port))
        except OSError:
            return False
    return True


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m producer.tools.local", description=__doc__)
    parser.add_argument("--port", type=int, default=8080, help="producer port (0: any free)")
    parser.add_argument("--shards", type=int, default=2, help="shards of the local stream")
    parser.add_argument("--stream", default="local-stream", help="name of the local stream")
    parser.add_argument("--once", action="store_true", help="stop after the demonstration")
    args = parser.parse_args(argv)

    port = args.port or free_port()
    if not port_is_free(port):
        print(
            f"error: port {port} is in use (a producer already running?); stop what listens "
            "there, or give another: python -m producer.tools.local --port 0 (any free port)",
            file=sys.stderr,
        )
        return 2
    kinesis_port = free_port()
    endpoint = f"http://127.0.0.1:{kinesis_port}"
    env = {
        **os.environ,
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": REGION,
        "AWS_ENDPOINT_URL_KINESIS": endpoint,
        "REGION": REGION,
        "STREAM_NAME": args.stream,
        "PORT": str(port),
        "PYTHONPATH": os.pathsep.join(filter(None, [str(_ROOT), os.environ.get("PYTHONPATH")])),
    }
    os.environ.update({k: env[k] for k in env if k.startswith("AWS_")})
    with ExitStack() as stack:
        print(f">> starting a local Kinesis-compatible server (moto) on {endpoint}")
        kinesis = subprocess.Popen(
            kinesis_server_command(kinesis_port),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        stack.callback(stop, kinesis, 5)
        wait_for(f"{endpoint}/moto-api/", 30, kinesis)
        client = make_client(REGION, endpoint)
        client.create_stream(StreamName=args.stream, ShardCount=args.shards)
        print(f">> created stream {args.stream!r} with {args.shards} shards")

        print(f">> starting the producer: python -m producer on port {port} (JSON logs below)")
        producer = subprocess.Popen([sys.executable, "-m", "producer"], env=env)
        stack.callback(stop, producer)
        base_url = f"http://127.0.0.1:{port}"
        wait_for(f"{base_url}/healthcheck", 30, producer)

        demo_requests(base_url)
        deadline = time.monotonic() + 35
        while metric(base_url, "kinesis_producer_outstanding_user_records") > 0:
            if time.monotonic() > deadline:
                print("!! records still outstanding after 35 s")
                break
            time.sleep(0.1)
        print(
            f"\n$ python -m producer.tools.consume --stream {args.stream}   (the stream, read back)"
        )
        for record in read_stream(client, args.stream):
            print(json.dumps(record.to_json(), ensure_ascii=False))
        if args.once:
            return 0
        print(
            f"\n>> the producer is listening on {base_url}; try:\n"
            f'   curl --header "Content-Type: application/json" --data-raw '
            f"'{SAMPLE_RECORD}' {base_url}/\n"
            f"   AWS_ENDPOINT_URL_KINESIS={endpoint} AWS_ACCESS_KEY_ID=testing "
            f"AWS_SECRET_ACCESS_KEY=testing {sys.executable} -m producer.tools.consume "
            f"--region {REGION} --stream {args.stream}\n"
            ">> Ctrl-C stops everything"
        )
        try:
            while producer.poll() is None and kinesis.poll() is None:
                time.sleep(0.5)
        except KeyboardInterrupt:
            print("\n>> stopping")
    return 0


if __name__ == "__main__":
    sys.exit(main())
