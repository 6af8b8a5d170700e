"""Sends what MLflow's Python client sends for create_run, log_param, log_metric,
log_batch, get_metric_history and set_terminated (REST API 2.0 bodies, Bearer token
as MLFLOW_TRACKING_TOKEN gives it), with the standard library only.
Usage: MLFLOW_TRACKING_URI=... MLFLOW_TRACKING_TOKEN=... python3 mlflowPythonClient.py <experiment_id>
Prints the run's id and what get-history answered as one JSON line."""
import json
import os
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URI = os.environ["MLFLOW_TRACKING_URI"].rstrip("/")
TOKEN = os.environ["MLFLOW_TRACKING_TOKEN"]


def call(method, endpoint, body):
    url = f"{URI}/api/2.0/mlflow/{endpoint}"
    headers = {"Authorization": f"Bearer {TOKEN}", "User-Agent": "mlflow-python-client/2.19.0"}
    data = None
    if method == "GET":
        url += "?" + urllib.parse.urlencode(body, doseq=True)
    else:
        data = json.dumps(body).encode()
        headers["Content-Type"] = "application/json"
    request = urllib.request.Request(url, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(request) as response:
            return json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as err:
        raise SystemExit(f"{endpoint}: {err.code} {err.read().decode()}")


def now_ms():
    return int(time.time() * 1000)


experiment_id = sys.argv[1]
# MlflowClient.create_run
run = call("POST", "runs/create", {
    "experiment_id": experiment_id,
    "user_id": "researcher",
    "start_time": now_ms(),
    "tags": [{"key": "mlflow.source.name", "value": "train.py"}, {"key": "mlflow.source.type", "value": "LOCAL"},
             {"key": "mlflow.user", "value": "researcher"},
             {"key": "mlflow.source.git.commit", "value": "0123456789abcdef0123456789abcdef01234567"}],
    "run_name": "python-stdlib",
})["run"]
run_id = run["info"]["run_id"]
# MlflowClient.log_param
call("POST", "runs/log-parameter", {"run_id": run_id, "run_uuid": run_id, "key": "lr", "value": "0.001"})
# MlflowClient.log_metric
for step in range(3):
    call("POST", "runs/log-metric", {"run_id": run_id, "run_uuid": run_id, "key": "loss",
                                     "value": 1.0 / (step + 1), "timestamp": now_ms(), "step": step})
# MlflowClient.log_batch
call("POST", "runs/log-batch", {
    "run_id": run_id,
    "metrics": [{"key": "acc", "value": step / 100, "timestamp": now_ms(), "step": step} for step in range(100)],
    "params": [{"key": "batch_size", "value": "32"}],
    "tags": [{"key": "team", "value": "nlp"}],
})
# MlflowClient.get_metric_history (the REST store asks pages of 25,000)
history = call("GET", "metrics/get-history",
               {"run_id": run_id, "run_uuid": run_id, "metric_key": "loss", "max_results": 25000})
# MlflowClient.set_terminated
call("POST", "runs/update", {"run_id": run_id, "run_uuid": run_id, "status": "FINISHED", "end_time": now_ms()})
print(json.dumps({"run_id": run_id, "history": history["metrics"]}))
