"""Files to and from S3 through presigned URLs; the bytes never pass through the platform.

Upload: the file's SHA-256 and size are declared in ``requestUpload``; a small file is one
PUT, a large one (above the platform's multipart threshold) is PUT part by part from a
few threads, each part streamed from the file (memory stays at a few blocks whatever
the part size), part URLs fetched a hundred at a time so they stay fresh; then
``completeUpload``, which checks size and checksum on the platform's side. A failed
multipart upload is aborted. Download: a presigned GET streamed to a temporary file,
checked against the recorded checksum, then renamed into place.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import io
import mimetypes
import os
import tempfile
import time
from typing import Any, Dict, List, Optional, Tuple

from . import _http
from ._errors import LabError
from ._graphql import GraphQLClient

ARTIFACT_FIELDS = "id name key sizeBytes checksum contentType etag versionId lastModified"
REQUEST_UPLOAD = """mutation LabdataRequestUpload($i: RequestUploadInput!) {
  requestUpload(input: $i) { uploadId method url headers { name value } partSize partCount parts { partNumber sizeBytes url } } }"""
PART_URLS = """mutation LabdataPartUrls($id: ID!, $first: Int, $count: Int) {
  uploadPartUrls(uploadId: $id, firstPart: $first, count: $count) { partNumber sizeBytes url } }"""
COMPLETE = f"""mutation LabdataCompleteUpload($id: ID!, $parts: [CompletedPartInput!]) {{
  completeUpload(uploadId: $id, parts: $parts) {{ {ARTIFACT_FIELDS} }} }}"""
ABORT = "mutation LabdataAbortUpload($id: ID!) { abortUpload(uploadId: $id) }"
DOWNLOAD_URL = "query LabdataDownloadUrl($id: ID!) { artifact(id: $id) { id name sizeBytes checksum downloadUrl(expiresIn: 3600) } }"

PART_ATTEMPTS = 4
CHUNK = 1024 * 1024


def file_digest(path: str) -> Tuple[str, int]:
    """``sha256:<hex>`` and the size in bytes, reading the file once."""
    digest = hashlib.sha256()
    size = 0
    with open(path, "rb") as f:
        while True:
            block = f.read(CHUNK)
            if not block:
                break
            digest.update(block)
            size += len(block)
    return f"sha256:{digest.hexdigest()}", size


class _Slice(io.RawIOBase):
    """``length`` bytes of a file from ``offset``, read as the request is sent."""

    def __init__(self, path: str, offset: int, length: int) -> None:
        super().__init__()
        self._file = open(path, "rb")
        self._file.seek(offset)
        self._left = length

    def readable(self) -> bool:
        return True

    def read(self, size: int = -1) -> bytes:
        if self._left <= 0:
            return b""
        n = self._left if size is None or size < 0 else min(size, self._left)
        data = self._file.read(n)
        self._left -= len(data)
        return data

    def close(self) -> None:
        self._file.close()
        super().close()


def _put(url: str, path: str, offset: int, length: int, headers: Dict[str, str], timeout: float) -> str:
    """PUTs one slice with retries; returns the ETag."""
    last = ""
    for attempt in range(1, PART_ATTEMPTS + 1):
        body = _Slice(path, offset, length)
        try:
            answer = _http.request(
                "PUT", url, body=body, headers=dict(headers, **{"Content-Length": str(length)}), timeout=timeout  # type: ignore[arg-type]
            )
        except OSError as error:
            last = _http.describe_network_error(error)
        else:
            if answer.ok:
                return answer.headers.get("etag", "")
            last = f"HTTP {answer.status}: {answer.body[:300].decode('utf-8', 'replace')}"
            if answer.status not in _http.RETRYABLE_STATUSES:
                break
        finally:
            body.close()
        if attempt < PART_ATTEMPTS:
            time.sleep(_http.backoff_delay(attempt, 0.5, 8.0))
    raise LabError(f"upload to storage failed: {last}", "SERVICE_UNAVAILABLE")


def upload(
    client: GraphQLClient,
    owner_kind: str,
    owner_id: str,
    path: str,
    name: str,
    *,
    content_type: Optional[str] = None,
    overwrite: bool = False,
    checksum: Optional[str] = None,
    workers: int = 4,
    timeout: float = 300.0,
) -> Dict[str, Any]:
    """Uploads a file and answers the Artifact (id, name, sizeBytes, checksum, ...)."""
    if checksum is None:
        checksum, size = file_digest(path)
    else:
        size = os.path.getsize(path)
    content_type = content_type or mimetypes.guess_type(name)[0] or "application/octet-stream"
    plan = client.execute(
        REQUEST_UPLOAD,
        {
            "i": {
                "ownerKind": owner_kind,
                "ownerId": owner_id,
                "name": name,
                "contentType": content_type,
                "sizeBytes": size,
                "checksum": checksum,
                "overwrite": overwrite,
            }
        },
        retry=True,
    )["requestUpload"]
    if plan["method"] == "SINGLE":
        headers = {h["name"]: h["value"] for h in plan["headers"]}
        _put(plan["url"], path, 0, size, headers, timeout)
        return client.execute(COMPLETE, {"id": plan["uploadId"], "parts": None}, retry=True)["completeUpload"]
    try:
        parts = _upload_parts(client, plan, path, workers, timeout)
        return client.execute(COMPLETE, {"id": plan["uploadId"], "parts": parts}, retry=True)["completeUpload"]
    except BaseException:
        try:
            client.execute(ABORT, {"id": plan["uploadId"]}, retry=True)
        except LabError:
            pass
        raise


def _upload_parts(client: GraphQLClient, plan: Dict[str, Any], path: str, workers: int, timeout: float) -> List[Dict[str, Any]]:
    part_size = int(plan["partSize"])
    count = int(plan["partCount"])
    done: List[Dict[str, Any]] = []
    urls = plan["parts"]
    first = 1
    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, workers), thread_name_prefix="labdata-upload") as pool:
        while first <= count:
            if first > 1:
                urls = client.execute(PART_URLS, {"id": plan["uploadId"], "first": first, "count": 100}, retry=True)[
                    "uploadPartUrls"
                ]
            futures = {
                pool.submit(_put, p["url"], path, (p["partNumber"] - 1) * part_size, int(p["sizeBytes"]), {}, timeout): p[
                    "partNumber"
                ]
                for p in urls
            }
            for future in concurrent.futures.as_completed(futures):
                done.append({"partNumber": futures[future], "etag": future.result()})
            first += len(urls)
            if not urls:
                raise LabError("the platform listed no part URLs", "INTERNAL")
    return sorted(done, key=lambda p: p["partNumber"])


def download(client: GraphQLClient, artifact_id: str, path: str, *, timeout: float = 300.0) -> str:
    """Saves an artifact at ``path`` (a folder: under the artifact's name), checking its SHA-256; returns the path."""
    info = client.execute(DOWNLOAD_URL, {"id": artifact_id})["artifact"]
    if os.path.isdir(path):
        path = os.path.join(path, *info["name"].split("/"))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    import urllib.request

    digest = hashlib.sha256()
    folder = os.path.dirname(os.path.abspath(path))
    fd, tmp = tempfile.mkstemp(prefix=".labdata-", dir=folder)
    try:
        request = urllib.request.Request(info["downloadUrl"], headers={"User-Agent": _http.USER_AGENT})
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as answer:
            while True:
                block = answer.read(CHUNK)
                if not block:
                    break
                digest.update(block)
                out.write(block)
        expected = info.get("checksum")
        if expected and expected != f"sha256:{digest.hexdigest()}":
            raise LabError(f"download of {info['name']} does not match its checksum {expected}", "INTERNAL")
        os.replace(tmp, path)
    except OSError as error:
        raise LabError(f"download of {info['name']} failed: {_http.describe_network_error(error)}", "SERVICE_UNAVAILABLE") from None
    finally:
        if os.path.exists(tmp):
            os.remove(tmp)
    return path
