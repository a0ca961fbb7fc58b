#!/usr/bin/env bash
# Deploy the churn API to one Kubernetes overlay with kubectl's built-in kustomize (no other tool needed).
#
#   deploy.sh render  OVERLAY MANIFEST_IMAGE IMAGE_REF   print the manifests with the image pinned (no cluster)
#   deploy.sh apply   OVERLAY MANIFEST_IMAGE IMAGE_REF   apply them, then wait for every Deployment to roll out
#   deploy.sh restart OVERLAY                            restart the overlay's Deployments (after a rollback of
#                                                        the champion alias) and wait for them
#
# OVERLAY is a kustomize directory (examples/deploy/k8s/overlays/staging); MANIFEST_IMAGE is the image name the
# manifests use; IMAGE_REF is name@sha256:digest (preferred: immutable) or name:tag. The cluster comes from
# $KUBECONFIG. Exit codes: 0 done, 2 bad arguments, anything else is kubectl's.
set -euo pipefail

usage() { echo "usage: deploy.sh render|apply OVERLAY MANIFEST_IMAGE IMAGE_REF | deploy.sh restart OVERLAY" >&2; exit 2; }

action="${1:-}"; overlay="${2:-}"
[[ -n "$action" && -n "$overlay" ]] || usage
[[ -f "$overlay/kustomization.yaml" || -f "$overlay/kustomization.yml" || -f "$overlay/Kustomization" ]] || {
  echo "error: $overlay has no kustomization.yaml; pass an overlay directory such as examples/deploy/k8s/overlays/staging" >&2
  exit 2
}
timeout="${ROLLOUT_TIMEOUT:-300s}"
workdir="$(mktemp -d "${RUNNER_TEMP:-/tmp}/deploy.XXXXXX")"
trap 'rm -rf "$workdir"' EXIT

# A throw-away kustomization on top of the overlay that pins the image; kustomize only accepts relative paths.
pinned_manifests() {
  local manifest_image="$1" image_ref="$2" name pin
  if [[ "$image_ref" == *@sha256:* ]]; then
    name="${image_ref%%@*}"; pin="digest: ${image_ref#*@}"
  elif [[ "${image_ref##*/}" == *:* ]]; then
    name="${image_ref%:*}"; pin="newTag: \"${image_ref##*:}\""
  else
    echo "error: image '$image_ref' has neither @sha256:digest nor :tag; pass e.g. ghcr.io/owner/churn-api@sha256:..." >&2
    exit 2
  fi
  cat > "$workdir/kustomization.yaml" <<YAML
apiVersion: kustomize.config.k8s.io/v1beta1
kind: Kustomization
resources:
  - $(realpath --relative-to="$workdir" "$overlay")
images:
  - name: $manifest_image
    newName: $name
    $pin
YAML
  kubectl kustomize "$workdir" > "$workdir/rendered.yaml"
  # kustomize skips an images: entry that matches no container without a word: refuse, or the old image
  # would be applied and reported as the new one.
  grep -qF "image: $image_ref" "$workdir/rendered.yaml" || {
    echo "error: no container in $overlay uses the image '$manifest_image', so '$image_ref' pinned nothing;" \
      "pass the image name the overlay's manifests render (variable CHURN_MANIFEST_IMAGE)" >&2
    exit 2
  }
}

# namespace/name of every Deployment in the rendered manifests, as the cluster knows them.
deployments() {
  kubectl get -f "$1" -o jsonpath='{range .items[?(@.kind=="Deployment")]}{.metadata.namespace}{" "}{.metadata.name}{"\n"}{end}'
}

wait_for_rollouts() {
  local namespace name
  while read -r namespace name; do
    [[ -n "$name" ]] || continue
    kubectl rollout status "deployment/$name" --namespace "$namespace" --timeout "$timeout"
  done < <(deployments "$1")
}

case "$action" in
  render)
    [[ $# -eq 4 ]] || usage
    pinned_manifests "$3" "$4"
    cat "$workdir/rendered.yaml"
    ;;
  apply)
    [[ $# -eq 4 ]] || usage
    pinned_manifests "$3" "$4"
    kubectl apply -f "$workdir/rendered.yaml"
    wait_for_rollouts "$workdir/rendered.yaml"
    ;;
  restart)
    [[ $# -eq 2 ]] || usage
    kubectl kustomize "$overlay" > "$workdir/rendered.yaml"
    while read -r namespace name; do
      [[ -n "$name" ]] && kubectl rollout restart "deployment/$name" --namespace "$namespace"
    done < <(deployments "$workdir/rendered.yaml")
    wait_for_rollouts "$workdir/rendered.yaml"
    ;;
  *) usage ;;
esac
