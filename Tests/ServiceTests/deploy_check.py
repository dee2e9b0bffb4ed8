"""Checks Deploy/: every Kubernetes manifest validates against the schemas of Kubernetes 1.37
(kubernetes-validate, strict: no unknown field), and the fields the service relies on are
right: container port 8080 named http, liveness /healthz and readiness /readyz on it, the role
flag of each workload, the leaderboard's volume at its --data-dir, the ConfigMap mounted where
--config points, the Ingress sending /v1/match to inference, the batch run (an Indexed Job of
`dpcl match --shard`, one shard per completion index, and the merge of exactly its parts, both
on one shared volume); docker-compose.yml the same for one machine. Prints a JSON summary; exits 1 with the reasons when something is wrong.

Usage: deploy_check.py DEPLOY_FOLDER
"""
import glob
import json
import os
import sys

import kubernetes_validate
import yaml

problems = []


def check(condition, message):
    if not condition:
        problems.append(message)


def argument(args, flag):
    return args[args.index(flag) + 1] if flag in args else None


folder = sys.argv[1]
documents = []
for path in sorted(glob.glob(os.path.join(folder, "kubernetes", "*.yaml"))):
    for document in yaml.safe_load_all(open(path)):
        if document:
            documents.append((os.path.basename(path), document))
            try:
                kubernetes_validate.validate(document, "1.37.0", strict=True)
            except Exception as error:  # the validator's errors name the field
                problems.append(f"{os.path.basename(path)} {document.get('kind')} {document['metadata']['name']}: {error}")

kinds = {(document["kind"], document["metadata"]["name"]): document for _, document in documents}
workloads = {"inference": kinds.get(("Deployment", "dpcl-inference")), "leaderboard": kinds.get(("StatefulSet", "dpcl-leaderboard"))}
config = kinds.get(("ConfigMap", "dpcl-config"))
check(config is not None and "server.yaml" in config["data"], "a ConfigMap dpcl-config with server.yaml")
for role, workload in workloads.items():
    check(workload is not None, f"a {role} workload")
    if workload is None:
        continue
    spec = workload["spec"]["template"]["spec"]
    container = spec["containers"][0]
    args = container["args"]
    check(args[0] == "serve" and argument(args, "--role") == role, f"{role}: serve --role {role}")
    check(argument(args, "--port") == "8080" and argument(args, "--host") == "0.0.0.0", f"{role}: listens on 0.0.0.0:8080")
    check({"name": "http", "containerPort": 8080} in container["ports"], f"{role}: port 8080 named http")
    check(container["livenessProbe"]["httpGet"] == {"path": "/healthz", "port": "http"}, f"{role}: liveness on /healthz")
    check(container["readinessProbe"]["httpGet"] == {"path": "/readyz", "port": "http"}, f"{role}: readiness on /readyz")
    mounts = {mount["mountPath"]: mount["name"] for mount in container.get("volumeMounts", [])}
    check(os.path.dirname(argument(args, "--config") or "") in mounts, f"{role}: --config is on a mounted volume")
    volumes = {volume["name"]: volume for volume in spec.get("volumes", [])}
    check(volumes.get(mounts.get("/etc/dpcl"), {}).get("configMap", {}).get("name") == "dpcl-config", f"{role}: dpcl-config at /etc/dpcl")
    check(spec.get("securityContext", {}).get("runAsNonRoot") is True, f"{role}: runs as non-root")
    check("limits" in container["resources"] and "requests" in container["resources"], f"{role}: CPU/memory requests and limits")
leaderboard = workloads["leaderboard"]
if leaderboard:
    args = leaderboard["spec"]["template"]["spec"]["containers"][0]["args"]
    mounts = {m["mountPath"]: m["name"] for m in leaderboard["spec"]["template"]["spec"]["containers"][0]["volumeMounts"]}
    claims = [claim["metadata"]["name"] for claim in leaderboard["spec"].get("volumeClaimTemplates", [])]
    check(mounts.get(argument(args, "--data-dir")) in claims, "leaderboard: --data-dir is the persistent volume claim's mount")
    check(leaderboard["spec"]["replicas"] == 1, "leaderboard: exactly one replica (one SQLite writer)")
    env = {e["name"]: e for e in leaderboard["spec"]["template"]["spec"]["containers"][0].get("env", [])}
    check("secretKeyRef" in env.get("DPCL_ADMIN_TOKEN", {}).get("valueFrom", {}), "leaderboard: the admin token from a Secret")
inference = workloads["inference"]
if inference:
    check("--data-dir" not in inference["spec"]["template"]["spec"]["containers"][0]["args"], "inference: no data directory")
hpa = kinds.get(("HorizontalPodAutoscaler", "dpcl-inference"))
check(hpa is not None and hpa["spec"]["scaleTargetRef"]["name"] == "dpcl-inference", "an autoscaler on the inference Deployment")
for service, component in [("dpcl-inference", "inference"), ("dpcl-leaderboard", "leaderboard")]:
    document = kinds.get(("Service", service))
    check(document is not None and document["spec"]["selector"].get("app.kubernetes.io/component") == component
          and document["spec"]["ports"][0]["targetPort"] == "http", f"Service {service} selects the {component} pods' http port")
ingress = kinds.get(("Ingress", "dpcl"))
routes = {}
if ingress:
    for rule in ingress["spec"]["rules"]:
        for path in rule["http"]["paths"]:
            routes[path["path"]] = path["backend"]["service"]["name"]
check(routes.get("/v1/match") == "dpcl-inference" and routes.get("/") == "dpcl-leaderboard", f"Ingress routes {routes}")

match_job, merge_job = kinds.get(("Job", "dpcl-match")), kinds.get(("Job", "dpcl-merge"))
check(match_job is not None and merge_job is not None, "the batch Jobs dpcl-match and dpcl-merge")
if match_job and merge_job:
    spec = match_job["spec"]
    check(spec.get("completionMode") == "Indexed", "dpcl-match: an Indexed Job")
    container = spec["template"]["spec"]["containers"][0]
    script = container["args"][0]
    shards = {e["name"]: e.get("value") for e in container.get("env", [])}.get("SHARDS")
    check(shards == str(spec["completions"]), f"dpcl-match: SHARDS {shards} is its completions {spec['completions']}")
    check("JOB_COMPLETION_INDEX + 1" in script and '--shard "$shard/$SHARDS"' in script, "dpcl-match: --shard from JOB_COMPLETION_INDEX")
    check('[ "$status" -eq 3 ] && exit 0' in script, "dpcl-match: exit 3 (some pairs failed, reported) completes the index")
    merge = merge_job["spec"]["template"]["spec"]["containers"][0]
    merge_shards = {e["name"]: e.get("value") for e in merge.get("env", [])}.get("SHARDS")
    check(merge_shards == shards, f"dpcl-merge: SHARDS {merge_shards} is dpcl-match's {shards}")
    check("predictions merge" in merge["args"][0], "dpcl-merge: runs dpcl predictions merge")
    for job in (match_job, merge_job):
        pod = job["spec"]["template"]["spec"]
        claims = {v["name"]: v.get("persistentVolumeClaim", {}).get("claimName") for v in pod["volumes"]}
        mounts = {m["mountPath"]: m["name"] for m in pod["containers"][0]["volumeMounts"]}
        check(claims.get(mounts.get("/batch")) == "dpcl-batch", f"{job['metadata']['name']}: /batch is the shared claim dpcl-batch")
        check(pod.get("securityContext", {}).get("runAsNonRoot") is True, f"{job['metadata']['name']}: runs as non-root")
    claim = kinds.get(("PersistentVolumeClaim", "dpcl-batch"))
    check(claim is not None and "ReadWriteMany" in claim["spec"]["accessModes"], "dpcl-batch: a ReadWriteMany claim (pods on several nodes)")

compose = yaml.safe_load(open(os.path.join(folder, "docker-compose.yml")))
service = compose["services"]["dpcl"]
check(argument(service["command"], "--role") == "all", "compose: --role all")
check("8080:8080" in service["ports"], "compose: port 8080")
check(any(volume.endswith(":" + argument(service["command"], "--data-dir")) for volume in service["volumes"]), "compose: the data volume at --data-dir")
check("/healthz" in " ".join(service["healthcheck"]["test"]), "compose: health check on /healthz")

print(json.dumps({"ok": not problems, "documents": len(documents), "kinds": sorted(k for k, _ in kinds), "problems": problems}))
sys.exit(1 if problems else 0)
