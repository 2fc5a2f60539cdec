#!/usr/bin/env bash
# Static checks of infra/ (./test.sh runs this before the tests; it fails the run when a check fails):
#   - Kubernetes manifests against the Kubernetes API schemas and the Dockerfile's structure (check.mjs, npm packages
#     kubernetes-models and yaml, pinned by package-lock.json);
#   - the Bicep template compiled by the Bicep CLI from NuGet (Azure.Bicep.CommandLine.linux-x64, restored through
#     bicep/BicepCli.csproj), where any warning (an unknown property, a wrong type) counts as a failure.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

if [[ ! -d node_modules/kubernetes-models || package-lock.json -nt node_modules/.package-lock.json ]]; then
  npm ci --no-audit --no-fund --loglevel=error >/dev/null
fi
node check.mjs

tools="${NUGET_PACKAGES:-$HOME/.nuget/packages}/azure.bicep.commandline.linux-x64/0.49.2/tools"
[[ -d "$tools" ]] || dotnet restore bicep/BicepCli.csproj -v q >/dev/null
bicep="$(find "$tools" -type f -name bicep | head -n 1)"
[[ -x "$bicep" ]] || chmod +x "$bicep"
for template in ../azure/*.bicep; do
  diagnostics="$("$bicep" build "$template" --stdout 2>&1 >/dev/null)" || { echo "$diagnostics" >&2; echo "infra check: $template does not compile" >&2; exit 1; }
  if [[ -n "$diagnostics" ]]; then
    echo "$diagnostics" >&2
    echo "infra check: $template has warnings (treated as errors)" >&2
    exit 1
  fi
done
echo "infra check: Bicep templates compile without warnings"
