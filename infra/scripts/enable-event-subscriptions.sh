#!/bin/sh
# azd postdeploy hook (azure.yaml). Event Grid refuses an event subscription whose destination
# function does not exist yet, so the first `azd provision` creates everything but the event
# subscriptions (DEPLOY_EVENT_SUBSCRIPTIONS=false). Once `azd deploy` has put the code in place,
# this turns them on and provisions once more. Later deployments find the flag set and do nothing.
set -eu

if [ "${DEPLOY_EVENT_SUBSCRIPTIONS:-false}" = "true" ]; then
  echo "Event Grid subscriptions are enabled (DEPLOY_EVENT_SUBSCRIPTIONS=true)."
  exit 0
fi

echo "The armEvents function is deployed: creating the Event Grid subscriptions (azd provision, second pass)."

# A system topic the subscription already had (preprovision: EXISTING_SYSTEM_TOPICS) gets our
# dead-letter identity added to its identities (PATCH: the ones it has stay) before the event
# subscription that dead-letters with it is attached.
for pair in $(printf '%s' "${EXISTING_SYSTEM_TOPICS:-}" | tr ',' ' '); do
  topic="${pair#*=}"
  url="https://management.azure.com${topic}?api-version=2022-06-15"
  current=$(az rest --method get --url "$url" --query "identity.type" -o tsv 2>/dev/null || true)
  case "$current" in
    *SystemAssigned*) type="SystemAssigned,UserAssigned" ;;
    *) type="UserAssigned" ;;
  esac
  echo "Adding the dead-letter identity to the existing system topic $topic."
  az rest --method patch --url "$url" \
    --body "{\"identity\":{\"type\":\"$type\",\"userAssignedIdentities\":{\"${EVENT_GRID_IDENTITY_ID:?EVENT_GRID_IDENTITY_ID is not set: provision first}\":{}}}}" -o none
done

azd env set DEPLOY_EVENT_SUBSCRIPTIONS true

# The host indexes the functions of a fresh deployment within a minute or so; retry meanwhile.
attempt=1
while :; do
  if azd provision --no-prompt; then
    exit 0
  fi
  if [ "$attempt" -ge 4 ]; then
    echo "Provisioning the Event Grid subscriptions failed $attempt times. Run 'azd provision' again once 'az functionapp function list' shows armEvents." >&2
    exit 1
  fi
  attempt=$((attempt + 1))
  echo "Retrying in 30 s (attempt $attempt of 4)..."
  sleep 30
done
