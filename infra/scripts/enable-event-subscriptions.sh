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
