"""Issue 3 figures: what sealing, opening and streaming cost against the primitives they use.

1. seal, 4 KiB payload, 9 recipients (the sender's own copy is one of the nine wrapped keys):
   measured seals/s against the limit 1 / (9 HPKE wraps + AES-GCM over 4 KiB + one Ed25519 and
   one ML-DSA-65 signature), each primitive timed in the same round (target >= 70%).
2. open (unwrap one key, verify both signatures, decrypt 4 KiB) against 1 / (HPKE unwrap +
   AES-GCM decrypt + Ed25519 verify + ML-DSA-65 verify) (target >= 70%); opening from the JSON
   export (parsing included) is shown beside it.
3. Streamed attachment encrypt and decrypt of 100 MB against single-pass AES-GCM over the same
   100 MB in memory (target >= 60%), and peak memory while sealing and opening a 100 MB
   attachment file in a fresh process (target < 64 MB).

The primitives are timed through ``cryptography`` directly, not through crypto/, so the limit
is what the library could reach if its own code cost nothing. Single thread. Run from the
repository root::

    .venv/bin/python bench/crypto_bench.py [--runs 3] [--rounds 7] [--append]

``--append`` adds the Markdown it prints to bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import hashlib
import io
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

REPOSITORY = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPOSITORY))

import cryptography  # noqa: E402
from cryptography.hazmat.primitives import hpke  # noqa: E402
from cryptography.hazmat.primitives.asymmetric import ed25519, mldsa, mlkem, x25519  # noqa: E402
from cryptography.hazmat.primitives.ciphers.aead import AESGCM  # noqa: E402

from crypto import Directory, Envelope, PrivateBundle, open_envelope, seal  # noqa: E402
from crypto.stream import CHUNK_SIZE, decrypt_stream, encrypt_stream  # noqa: E402

NOW = datetime(2026, 11, 29, 12, tzinfo=UTC)
ORGS = ("FR", "DE", "IT", "US", "JP", "UK", "CA", "EU", "INTERPOL")
PAYLOAD = os.urandom(4096)
STREAM_BYTES = 100 * 1000 * 1000
HPKE = hpke.Suite(hpke.KEM.MLKEM768_X25519, hpke.KDF.HKDF_SHA256, hpke.AEAD.AES_256_GCM)


def per_call(function: Callable[[], object], calls: int) -> float:
    """Seconds per call of ``function`` over ``calls`` calls (after one warm-up call)."""
    function()
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def cycling(items: list[Any]) -> Callable[[], Any]:
    position = 0

    def next_item() -> Any:
        nonlocal position
        position = (position + 1) % len(items)
        return items[position]

    return next_item


class Keys:
    """Nine organisations, an envelope sealed to all of them, and raw primitives to compare."""

    def __init__(self) -> None:
        self.bundles = [PrivateBundle.generate(org, now=NOW) for org in ORGS]
        self.sender, self.reader = self.bundles[0], self.bundles[1]
        self.recipients = [b.public for b in self.bundles[1:]]
        self.directory = Directory(b.public for b in self.bundles)
        self.envelope = self.seal()
        self.exported = self.envelope.to_json()
        # The primitives, on inputs of the sizes the envelope really uses.
        self.statement = self.envelope.signed_statement()
        self.statements = [os.urandom(16) + self.statement for _ in range(64)]
        self.info = os.urandom(300)
        self.hpke_private = hpke.MLKEM768X25519PrivateKey(
            mlkem.MLKEM768PrivateKey.generate(), x25519.X25519PrivateKey.generate()
        )
        self.hpke_public = self.hpke_private.public_key()
        self.ed = ed25519.Ed25519PrivateKey.generate()
        self.ml = mldsa.MLDSA65PrivateKey.generate()
        self.ed_public, self.ml_public = self.ed.public_key(), self.ml.public_key()
        self.ed_signature = self.ed.sign(self.statement)
        self.ml_signature = self.ml.sign(self.statement)
        self.aead = AESGCM(os.urandom(32))
        self.nonce = os.urandom(12)
        self.aad = self.envelope.header_bytes
        self.sealed_payload = self.aead.encrypt(self.nonce, PAYLOAD, self.aad)
        self.hpke_wrapped = HPKE.encrypt(os.urandom(32), self.hpke_public, info=self.info)

    def seal(self) -> Envelope:
        return seal(
            PAYLOAD, sender=self.sender, recipients=self.recipients, marking="TLP:AMBER", now=NOW
        )

    def open(self) -> bytes:
        opened = open_envelope(
            self.envelope, recipient=self.reader, directory=self.directory, now=NOW
        )
        return opened.payload

    def open_exported(self) -> bytes:
        envelope = Envelope.from_json(self.exported)
        return open_envelope(
            envelope, recipient=self.reader, directory=self.directory, now=NOW
        ).payload


def seal_round(keys: Keys, calls: int) -> dict[str, float]:
    statement = cycling(keys.statements)
    costs = {
        "hpke_wrap": per_call(
            lambda: HPKE.encrypt(os.urandom(32), keys.hpke_public, info=keys.info), calls * 3
        ),
        "aes_gcm_4k": per_call(lambda: keys.aead.encrypt(keys.nonce, PAYLOAD, keys.aad), calls * 9),
        "ed25519_sign": per_call(lambda: keys.ed.sign(statement()), calls * 3),
        "ml_dsa_65_sign": per_call(lambda: keys.ml.sign(statement()), calls * 3),
    }
    limit = (
        len(ORGS) * costs["hpke_wrap"]
        + costs["aes_gcm_4k"]
        + costs["ed25519_sign"]
        + costs["ml_dsa_65_sign"]
    )
    measured = per_call(keys.seal, calls)
    return {**_micro(costs), "limit_rate": 1 / limit, "rate": 1 / measured}


def open_round(keys: Keys, calls: int) -> dict[str, float]:
    costs = {
        "hpke_unwrap": per_call(
            lambda: HPKE.decrypt(keys.hpke_wrapped, keys.hpke_private, info=keys.info), calls * 2
        ),
        "aes_gcm_4k_decrypt": per_call(
            lambda: keys.aead.decrypt(keys.nonce, keys.sealed_payload, keys.aad), calls * 9
        ),
        "ed25519_verify": per_call(
            lambda: keys.ed_public.verify(keys.ed_signature, keys.statement), calls * 2
        ),
        "ml_dsa_65_verify": per_call(
            lambda: keys.ml_public.verify(keys.ml_signature, keys.statement), calls * 2
        ),
    }
    limit = sum(costs.values())
    measured = per_call(keys.open, calls)
    exported = per_call(keys.open_exported, calls)
    return {
        **_micro(costs),
        "limit_rate": 1 / limit,
        "rate": 1 / measured,
        "exported_rate": 1 / exported,
    }


class Discard(io.RawIOBase):
    def writable(self) -> bool:
        return True

    def write(self, data: Any) -> int:
        return len(data)


def stream_round(data: bytes) -> dict[str, float]:
    key, nonce = os.urandom(32), os.urandom(12)
    aead = AESGCM(key)
    start = time.perf_counter()
    single = aead.encrypt(nonce, data, None)
    single_encrypt = time.perf_counter() - start
    start = time.perf_counter()
    aead.decrypt(nonce, single, None)
    single_decrypt = time.perf_counter() - start
    del single
    sink = io.BytesIO()
    source = io.BytesIO(data)  # shares the buffer of ``data``: no copy
    start = time.perf_counter()
    summary = encrypt_stream(key, source, Discard())
    streamed_encrypt = time.perf_counter() - start
    encrypt_stream(key, io.BytesIO(data), sink)
    source = io.BytesIO(sink.getvalue())  # built before the clock starts: it copies 100 MB
    del sink
    start = time.perf_counter()
    for _ in decrypt_stream(key, source, expected=summary):
        pass
    streamed_decrypt = time.perf_counter() - start
    del source
    megabytes = len(data) / 1e6
    return {
        "single_encrypt": megabytes / single_encrypt,
        "single_decrypt": megabytes / single_decrypt,
        "stream_encrypt": megabytes / streamed_encrypt,
        "stream_decrypt": megabytes / streamed_decrypt,
    }


class Pattern(io.RawIOBase):
    """A 100 MB file produced on demand, so the probe never holds it."""

    def __init__(self, size: int) -> None:
        self._left = size
        self._block = hashlib.sha256(b"pattern").digest() * (CHUNK_SIZE // 32)

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        size = min(self._left, len(self._block) if size < 0 else size)
        self._left -= size
        return self._block[:size]


def memory_probe() -> None:
    """In a fresh process: seal a 100 MB attachment to a file, open it; print peaks in bytes."""
    keys = [PrivateBundle.generate(org, now=NOW) for org in ("FR", "DE")]
    directory = Directory(b.public for b in keys)
    baseline = _peak_rss()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "attachment.sealed"
        tracemalloc.start()
        with path.open("wb") as sink:
            envelope = seal(
                b"see attachment", sender=keys[0], recipients=[keys[1].public],
                marking="TLP:AMBER", now=NOW, attachments=[(Pattern(STREAM_BYTES), sink)],
            )  # fmt: skip
        _, seal_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        opened = open_envelope(envelope, recipient=keys[1], directory=directory, now=NOW)
        with path.open("rb") as source:
            opened.save_attachment(0, source, Discard())
        _, open_peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
    peak_rss = _peak_rss()
    print(seal_peak, open_peak, peak_rss - baseline, peak_rss)


def _peak_rss() -> int:
    """This process's peak resident set (VmHWM), in bytes; unlike ru_maxrss it restarts at exec."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return 0


def machine() -> str:
    lscpu = subprocess.run(["lscpu"], capture_output=True, text=True, check=False).stdout
    model = next(
        (
            line.split(":", 1)[1].strip()
            for line in lscpu.splitlines()
            if line.startswith("Model name")
        ),
        platform.processor() or "unknown",
    )
    cpus = subprocess.run(["nproc"], capture_output=True, text=True, check=False).stdout.strip()
    memory = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    return (
        f'Machine: `lscpu` model "{model}", `nproc` = {cpus}, {memory:.0f} GB RAM, '
        f"{platform.system()} {platform.release()}, load average at start {load}.\n"
        f"Python {platform.python_version()}, cryptography {cryptography.__version__} "
        f"(OpenSSL {_openssl()}). Date: {datetime.now(UTC):%Y-%m-%d}. Single thread."
    )


def _openssl() -> str:
    from cryptography.hazmat.backends.openssl import backend

    return backend.openssl_version_text().split()[1]


def table(title: str, runs: list[dict[str, float]], rows: list[tuple[str, str, str]]) -> str:
    """``rows``: (label, key, format) — one column per run, then the median of the runs."""
    header = "| | " + " | ".join(f"run {i + 1}" for i in range(len(runs))) + " | **median** |"
    lines = [f"### {title}", "", header, "|---" * (len(runs) + 2) + "|"]
    for label, key, fmt in rows:
        values = [run[key] for run in runs]
        cells = [fmt.format(v) for v in values]
        lines.append(
            f"| {label} | "
            + " | ".join(cells)
            + f" | **{fmt.format(statistics.median(values))}** |"
        )
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=3, help="whole runs (default 3)")
    parser.add_argument("--rounds", type=int, default=7, help="rounds per run, median kept")
    parser.add_argument("--calls", type=int, default=60, help="seals or opens per round")
    parser.add_argument("--append", action="store_true", help="append to bench/RESULTS.md")
    parser.add_argument("--memory-probe", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.memory_probe:
        memory_probe()
        return

    preamble = machine()
    print(preamble, file=sys.stderr)
    keys = Keys()
    data = os.urandom(STREAM_BYTES)
    seals, opens, streams, memories = [], [], [], []
    for run in range(args.runs):
        rounds = [seal_round(keys, args.calls) for _ in range(args.rounds)]
        seals.append(_medians(rounds))
        rounds = [open_round(keys, args.calls) for _ in range(args.rounds)]
        opens.append(_medians(rounds))
        rounds = [stream_round(data) for _ in range(max(3, args.rounds // 2))]
        streams.append(_medians(rounds))
        probe = subprocess.run(
            [sys.executable, __file__, "--memory-probe"], capture_output=True, text=True, check=True
        )
        seal_peak, open_peak, rss_growth, rss = (int(x) for x in probe.stdout.split())
        memories.append(
            {"seal_peak": seal_peak / 2**20, "open_peak": open_peak / 2**20,
             "rss_growth": rss_growth / 2**20, "rss": rss / 2**20}
        )  # fmt: skip
        print(f"run {run + 1} done", file=sys.stderr)
    for group in seals + opens:
        group["ratio"] = group["rate"] / group["limit_rate"]
    for group in opens:
        group["exported_ratio"] = group["exported_rate"] / group["limit_rate"]
    for group in streams:
        group["encrypt_ratio"] = group["stream_encrypt"] / group["single_encrypt"]
        group["decrypt_ratio"] = group["stream_decrypt"] / group["single_decrypt"]
    us = "{:.0f} µs"
    report = "\n\n".join(
        [
            "## crypto (issue 3)",
            preamble,
            f"Command: `.venv/bin/python bench/crypto_bench.py --runs {args.runs} --rounds "
            f"{args.rounds} --calls {args.calls}`. Each run keeps the median of its rounds; each "
            "round times the primitives and then the library operation back to back, so the "
            "limit and the measured rate share the machine's load of that moment.",
            table(
                "seal: 4 KiB payload, 9 recipients (target >= 70% of the limit)",
                seals,
                [
                    ("HPKE wrap (ML-KEM-768+X25519)", "hpke_wrap", us),
                    ("AES-256-GCM, 4 KiB", "aes_gcm_4k", "{:.1f} µs"),
                    ("Ed25519 sign", "ed25519_sign", us),
                    ("ML-DSA-65 sign", "ml_dsa_65_sign", us),
                    ("**limit** (9 wraps + AES + 2 signatures)", "limit_rate", "{:.0f} /s"),
                    ("**measured** seal", "rate", "{:.0f} /s"),
                    ("**ratio**", "ratio", "{:.0%}"),
                ],
            ),
            table(
                "open: unwrap, verify both signatures, decrypt 4 KiB (target >= 70% of the limit)",
                opens,
                [
                    ("HPKE unwrap", "hpke_unwrap", us),
                    ("AES-256-GCM decrypt, 4 KiB", "aes_gcm_4k_decrypt", "{:.1f} µs"),
                    ("Ed25519 verify", "ed25519_verify", us),
                    ("ML-DSA-65 verify", "ml_dsa_65_verify", us),
                    ("**limit**", "limit_rate", "{:.0f} /s"),
                    ("**measured** open (parsed envelope)", "rate", "{:.0f} /s"),
                    ("**ratio**", "ratio", "{:.0%}"),
                    ("open from the JSON export (parsing included)", "exported_rate", "{:.0f} /s"),
                    ("ratio with parsing", "exported_ratio", "{:.0%}"),
                ],
            ),
            table(
                "streamed attachment, 100 MB in memory (target >= 60% of single-pass AES-GCM)",
                streams,
                [
                    ("single-pass AES-256-GCM encrypt", "single_encrypt", "{:.0f} MB/s"),
                    ("streamed encrypt (1 MiB chunks + SHA-256)", "stream_encrypt", "{:.0f} MB/s"),
                    ("**encrypt ratio**", "encrypt_ratio", "{:.0%}"),
                    ("single-pass AES-256-GCM decrypt", "single_decrypt", "{:.0f} MB/s"),
                    ("streamed decrypt", "stream_decrypt", "{:.0f} MB/s"),
                    ("**decrypt ratio**", "decrypt_ratio", "{:.0%}"),
                ],
            ),
            table(
                "peak memory, 100 MB attachment file sealed then opened (target < 64 MB)",
                memories,
                [
                    ("tracemalloc peak while sealing", "seal_peak", "{:.1f} MiB"),
                    ("tracemalloc peak while opening", "open_peak", "{:.1f} MiB"),
                    ("growth of peak RSS (VmHWM) during seal and open", "rss_growth", "{:.1f} MiB"),
                    (
                        "peak RSS of the whole process (Python, libraries, keys)",
                        "rss",
                        "{:.1f} MiB",
                    ),
                ],
            ),
        ]
    )
    print(report)
    if args.append:
        results = REPOSITORY / "bench" / "RESULTS.md"
        with results.open("a", encoding="utf-8") as handle:
            handle.write("\n\n" + report + "\n")


def _micro(costs: dict[str, float]) -> dict[str, float]:
    return {name: seconds * 1e6 for name, seconds in costs.items()}


def _medians(rounds: list[dict[str, float]]) -> dict[str, float]:
    return {key: statistics.median(r[key] for r in rounds) for key in rounds[0]}


if __name__ == "__main__":
    main()
