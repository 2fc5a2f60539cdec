// Static checks of infra/ (run by infra/check/run.sh, which ./test.sh runs before the tests):
//  1. every Kubernetes manifest under infra/k8s validates against the Kubernetes API's OpenAPI schemas (the compiled
//     validators of the kubernetes-models package), each kind mapped explicitly (an unknown kind fails), and the
//     cross-references the schemas cannot see hold (selectors match the pod labels, probes and Orleans' labels exist,
//     every file the kustomization lists exists);
//  2. infra/Dockerfile has the structure the runbook relies on (no hadolint in Debian or npm here).
// Exits 1 with one line per problem.
import { readFileSync, readdirSync, existsSync } from "node:fs";
import { join, dirname } from "node:path";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { Namespace, ConfigMap, Secret, Service, ServiceAccount } from "kubernetes-models/v1";
import { Deployment } from "kubernetes-models/apps/v1";
import { PodDisruptionBudget } from "kubernetes-models/policy/v1";
import { HorizontalPodAutoscaler } from "kubernetes-models/autoscaling/v2";
import { Role, RoleBinding } from "kubernetes-models/rbac.authorization.k8s.io/v1";

// The infra folder to check: infra/ by default, another (a broken copy, to see the check fail) as the first argument.
const infra = process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), "..");
const kinds = {
  "v1/Namespace": Namespace,
  "v1/ConfigMap": ConfigMap,
  "v1/Secret": Secret,
  "v1/Service": Service,
  "v1/ServiceAccount": ServiceAccount,
  "apps/v1/Deployment": Deployment,
  "policy/v1/PodDisruptionBudget": PodDisruptionBudget,
  "autoscaling/v2/HorizontalPodAutoscaler": HorizontalPodAutoscaler,
  "rbac.authorization.k8s.io/v1/Role": Role,
  "rbac.authorization.k8s.io/v1/RoleBinding": RoleBinding,
};
const problems = [];
const fail = (where, message) => problems.push(`${where}: ${message}`);

// 1. Kubernetes manifests.
const k8s = join(infra, "k8s");
const objects = [];
for (const file of readdirSync(k8s).filter(f => f.endsWith(".yaml")).sort()) {
  for (const [i, document] of parseAllDocuments(readFileSync(join(k8s, file), "utf8")).entries()) {
    const where = `infra/k8s/${file}#${i + 1}`;
    if (document.errors.length > 0) {
      fail(where, `YAML: ${document.errors[0].message}`);
      continue;
    }
    const object = document.toJS();
    if (object === null) continue;
    const key = `${object.apiVersion}/${object.kind}`;
    if (key === "kustomize.config.k8s.io/v1beta1/Kustomization") {
      for (const resource of object.resources ?? []) {
        if (!existsSync(join(k8s, resource))) fail(where, `lists ${resource}, which does not exist`);
      }
      continue;
    }
    const Model = kinds[key];
    if (!Model) {
      fail(where, `${key} is not a kind this check knows: add it to infra/check/check.mjs`);
      continue;
    }
    try {
      new Model(object).validate();
    } catch (e) {
      fail(where, `${object.kind} ${object.metadata?.name}: ${e.message}`);
    }
    objects.push({ where, object });
  }
}

const find = kind => objects.filter(o => o.object.kind === kind);
const matches = (selector, labels) => Object.entries(selector ?? {}).every(([k, v]) => labels?.[k] === v);
for (const { where, object: deployment } of find("Deployment")) {
  const pod = deployment.spec.template;
  if (!matches(deployment.spec.selector.matchLabels, pod.metadata?.labels)) fail(where, "the selector does not match the pod template's labels");
  for (const label of ["orleans/serviceId", "orleans/clusterId"]) {
    if (!pod.metadata?.labels?.[label]) fail(where, `the pod template lacks the label ${label} that Orleans' Kubernetes hosting reads`);
  }
  const container = pod.spec.containers[0];
  const env = new Set((container.env ?? []).map(e => e.name));
  for (const name of ["POD_NAME", "POD_NAMESPACE", "POD_IP", "ORLEANS_SERVICE_ID", "ORLEANS_CLUSTER_ID"]) {
    if (!env.has(name)) fail(where, `the container lacks ${name}, which Orleans' Kubernetes hosting needs`);
  }
  if (container.livenessProbe?.httpGet?.path !== "/health/live") fail(where, "the liveness probe is not /health/live");
  if (container.readinessProbe?.httpGet?.path !== "/health/ready") fail(where, "the readiness probe is not /health/ready");
  if (pod.spec.securityContext?.runAsNonRoot !== true) fail(where, "the pod may run as root");
  const serviceAccount = pod.spec.serviceAccountName;
  if (!find("ServiceAccount").some(o => o.object.metadata.name === serviceAccount)) fail(where, `service account ${serviceAccount} is not defined`);
  const refs = [...(container.envFrom ?? []).map(e => e.secretRef?.name ?? e.configMapRef?.name), ...(pod.spec.volumes ?? []).map(v => v.secret?.secretName).filter(Boolean)];
  for (const ref of refs) {
    if (!objects.some(o => ["Secret", "ConfigMap"].includes(o.object.kind) && o.object.metadata.name === ref)) fail(where, `${ref} is neither a Secret nor a ConfigMap here`);
  }
  for (const { where: w, object } of [...find("Service"), ...find("PodDisruptionBudget")]) {
    const selector = object.spec.selector?.matchLabels ?? object.spec.selector;
    if (!matches(selector, pod.metadata.labels)) fail(w, `${object.kind} ${object.metadata.name} selects no pod of ${deployment.metadata.name}`);
  }
  for (const { where: w, object: hpa } of find("HorizontalPodAutoscaler")) {
    if (hpa.spec.scaleTargetRef.name !== deployment.metadata.name) fail(w, `scales ${hpa.spec.scaleTargetRef.name}, not ${deployment.metadata.name}`);
  }
}
for (const { where, object: binding } of find("RoleBinding")) {
  const role = find("Role").find(o => o.object.metadata.name === binding.roleRef.name);
  if (!role) fail(where, `binds role ${binding.roleRef.name}, which is not defined`);
  else if (!role.object.rules.some(r => r.resources.includes("pods") && ["list", "watch", "delete"].every(v => r.verbs.includes(v)))) {
    fail(where, "the role lacks list, watch and delete on pods, which Orleans' Kubernetes hosting needs");
  }
}
for (const kind of ["Deployment", "Service", "PodDisruptionBudget", "HorizontalPodAutoscaler", "Secret", "Role", "RoleBinding"]) {
  if (find(kind).length === 0) fail("infra/k8s", `no ${kind}`);
}

// 2. Dockerfile structure.
const dockerfile = readFileSync(join(infra, "Dockerfile"), "utf8").replace(/\\\r?\n/g, " ");
const instructions = dockerfile.split(/\r?\n/).map(l => l.trim()).filter(l => l && !l.startsWith("#"));
const stages = instructions.filter(l => /^FROM\s/i.test(l));
const last = instructions.slice(instructions.lastIndexOf(stages.at(-1)));
const where = "infra/Dockerfile";
if (stages.length < 2) fail(where, "not multi-stage (an SDK build stage and a runtime stage)");
if (!/dotnet\/sdk:\d/.test(stages[0] ?? "")) fail(where, "the first stage is not the .NET SDK image");
if (!/dotnet\/aspnet:\d/.test(stages.at(-1) ?? "")) fail(where, "the last stage is not the ASP.NET Core runtime image");
for (const stage of stages) {
  if (/:latest\b/.test(stage) || !/:[\w.-]+/.test(stage.split(/\s+/)[1])) fail(where, `${stage}: pin a tag, not latest`);
}
const user = last.filter(l => /^USER\s/i.test(l)).at(-1);
if (!user || /^USER\s+(root|0)\b/i.test(user)) fail(where, "the runtime stage does not switch to a non-root USER");
if (!last.some(l => /^HEALTHCHECK\s.*\/health\/live/i.test(l))) fail(where, "the runtime stage has no HEALTHCHECK on /health/live");
if (!last.some(l => /^ENTRYPOINT\s+\[/.test(l))) fail(where, "no ENTRYPOINT in exec form (signals must reach the host for a graceful stop)");
if (instructions.some(l => /^ADD\s+https?:/i.test(l))) fail(where, "ADD of a URL: download in a RUN step with a checksum");
if (!existsSync(join(infra, "..", ".dockerignore"))) fail(where, "no .dockerignore at the repository root (bin/obj and node_modules would enter the build context)");

if (problems.length > 0) {
  console.error(problems.join("\n"));
  console.error(`infra check: ${problems.length} problem(s)`);
  process.exit(1);
}
console.log(`infra check: ${objects.length} Kubernetes objects valid, Dockerfile structure ok`);
