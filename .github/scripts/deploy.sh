#!/usr/bin/env bash
# Deploy the churn API to one Kubernetes overlay with kubectl alone (its built-in kustomize and set image).
#
#   deploy.sh render  OVERLAY DEPLOYMENT IMAGE_REF   print the manifests with DEPLOYMENT pinned (no cluster)
#   deploy.sh apply   OVERLAY DEPLOYMENT IMAGE_REF   apply them, then wait for every Deployment to roll out
#   deploy.sh restart OVERLAY                        restart the overlay's Deployments (after a rollback of
#                                                    the champion alias) and wait for them
#
# OVERLAY is a kustomize directory (examples/deploy/k8s/overlays/staging); DEPLOYMENT is the name of one of
# its Deployments (churn-api, churn-api-canary, ...); IMAGE_REF is name@sha256:digest (preferred: immutable)
# or name:tag. The overlay is rendered with `kubectl kustomize`, then `kubectl set image --local` sets the
# image of the container churn-api in that Deployment only, whatever image name the manifests use.
# `apply` leaves every other Deployment of the overlay on the image the cluster runs now (so a release pinned
# to churn-api-canary leaves the stable track alone); one that is not in the cluster yet starts on IMAGE_REF.
# The cluster comes from $KUBECONFIG. Exit codes: 0 done, 2 bad arguments, anything else is kubectl's.
set -euo pipefail

readonly container=churn-api  # the container's name in examples/deploy/k8s/base/deployment.yaml

usage() { echo "usage: deploy.sh render|apply OVERLAY DEPLOYMENT IMAGE_REF | deploy.sh restart OVERLAY" >&2; exit 2; }

action="${1:-}"; overlay="${2:-}"
[[ -n "$action" && -n "$overlay" ]] || usage
[[ -f "$overlay/kustomization.yaml" || -f "$overlay/kustomization.yml" || -f "$overlay/Kustomization" ]] || {
  echo "error: $overlay has no kustomization.yaml; pass an overlay directory such as examples/deploy/k8s/overlays/staging" >&2
  exit 2
}
timeout="${ROLLOUT_TIMEOUT:-300s}"
workdir="$(mktemp -d "${RUNNER_TEMP:-/tmp}/deploy.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT

# Render the overlay and split it into one file per object (doc-000.yaml, ...) with an index of
# "number kind namespace name" lines (namespace "-" when unset), and $workdir/deployments with a
# "namespace<TAB>name" line per Deployment (namespace empty when unset: kubectl then takes the kubeconfig's).
# kustomize prints keys sorted, so metadata's own name and namespace are the lines indented by two spaces
# under "metadata:".
render_and_split() {
  kubectl kustomize "$overlay" > "$workdir/rendered.yaml"
  awk -v dir="$workdir" '
    function flush() { if (lines) printf "%03d %s %s %s\n", n, kind, (ns == "" ? "-" : ns), name > (dir "/index") }
    /^---$/ { flush(); n++; lines = 0; kind = ""; name = ""; ns = ""; meta = 0; next }
    { print > sprintf("%s/doc-%03d.yaml", dir, n); lines++ }
    /^kind: / { kind = $2 }
    /^metadata:/ { meta = 1; next }
    /^[^ ]/ { meta = 0 }
    meta && /^  name: / { name = $2 }
    meta && /^  namespace: / { ns = $2 }
    END { flush() }
  ' n=0 "$workdir/rendered.yaml"
  awk '$2 == "Deployment" { print ($3 == "-" ? "" : $3) "\t" $4 }' "$workdir/index" > "$workdir/deployments"
}

check_image_ref() {
  [[ "$1" == *@sha256:* || "${1##*/}" == *:* ]] || {
    echo "error: image '$1' has neither @sha256:digest nor :tag; pass e.g. ghcr.io/owner/churn-api@sha256:..." >&2
    exit 2
  }
}

# The image the cluster runs in one Deployment's container, or nothing when the Deployment is not there.
live_image() {
  local namespace="$1" name="$2"
  [[ "$namespace" != "-" ]] || namespace=""
  kubectl get deployment "$name" --namespace "$namespace" --ignore-not-found \
    -o jsonpath="{.spec.template.spec.containers[?(@.name==\"$container\")].image}"
}

# Write $workdir/pinned.yaml: the rendered overlay with DEPLOYMENT on IMAGE_REF; with keep_live=yes (apply)
# every other Deployment keeps the cluster's image, or starts on IMAGE_REF when it is not in the cluster.
pinned_manifests() {
  local deployment="$1" image_ref="$2" keep_live="$3" number kind namespace name doc image
  check_image_ref "$image_ref"
  render_and_split
  cut -f2 "$workdir/deployments" | grep -qxF -- "$deployment" || {
    echo "error: overlay $overlay has no Deployment '$deployment'; pass one of:" \
      "$(cut -f2 "$workdir/deployments" | paste -sd ' ' -)" >&2
    exit 2
  }
  while read -r number kind namespace name; do
    doc="$workdir/doc-$number.yaml"
    image=""
    if [[ "$kind" == Deployment && "$name" == "$deployment" ]]; then
      image="$image_ref"
    elif [[ "$kind" == Deployment && "$keep_live" == yes ]]; then
      image="$(live_image "$namespace" "$name")"
      image="${image:-$image_ref}"
    fi
    if [[ -n "$image" ]]; then
      kubectl set image --local -f "$doc" -o yaml "$container=$image" > "$doc.pinned"
      mv "$doc.pinned" "$doc"
    fi
    [[ "$number" == 000 ]] || echo "---"
    cat "$doc"
  done < "$workdir/index" > "$workdir/pinned.yaml"
}

wait_for_rollouts() {
  local namespace name
  while IFS=$'\t' read -r namespace name; do
    kubectl rollout status "deployment/$name" --namespace "$namespace" --timeout "$timeout"
  done < "$workdir/deployments"
}

case "$action" in
  render)
    [[ $# -eq 4 ]] || usage
    pinned_manifests "$3" "$4" no
    cat "$workdir/pinned.yaml"
    ;;
  apply)
    [[ $# -eq 4 ]] || usage
    pinned_manifests "$3" "$4" yes
    kubectl apply -f "$workdir/pinned.yaml"
    wait_for_rollouts
    ;;
  restart)
    [[ $# -eq 2 ]] || usage
    render_and_split
    while IFS=$'\t' read -r namespace name; do
      kubectl rollout restart "deployment/$name" --namespace "$namespace"
    done < "$workdir/deployments"
    wait_for_rollouts
    ;;
  *) usage ;;
esac
