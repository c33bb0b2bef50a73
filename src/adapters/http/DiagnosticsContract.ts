/**
 * `GET …/connector/extraction-contract` (spec platforms-slack-feishu §10): a static,
 * machine-readable statement of which seams must stay stable before the connector is packaged
 * apart from its backend. Ids, statuses and their order are the reference's (clients key on
 * them); the summaries are ours, and `entrypoints` name this project's files (a test checks each
 * exists). It carries variable *names* only, never values. Built fresh per call, so a caller can
 * never mutate the shared copy.
 */

const PORTABLE_CONNECTOR_SECRET_ENV_VARS = [
  "OPENCLAW_CONNECTOR_DISCORD_TOKEN",
  "OPENCLAW_CONNECTOR_FEISHU_APP_SECRET",
  "OPENCLAW_CONNECTOR_FEISHU_ENCRYPT_KEY",
  "OPENCLAW_CONNECTOR_FEISHU_VERIFICATION_TOKEN",
  "OPENCLAW_CONNECTOR_LINE_CHANNEL_ACCESS_TOKEN",
  "OPENCLAW_CONNECTOR_LINE_CHANNEL_SECRET",
  "OPENCLAW_CONNECTOR_SLACK_APP_TOKEN",
  "OPENCLAW_CONNECTOR_SLACK_BOT_TOKEN",
  "OPENCLAW_CONNECTOR_SLACK_CLIENT_SECRET",
  "OPENCLAW_CONNECTOR_SLACK_SIGNING_SECRET",
  "OPENCLAW_CONNECTOR_TELEGRAM_TOKEN",
  "OPENCLAW_CONNECTOR_WECHAT_APP_SECRET",
  "OPENCLAW_CONNECTOR_WECHAT_ENCODING_AES_KEY",
  "OPENCLAW_CONNECTOR_WECHAT_TOKEN",
  "OPENCLAW_CONNECTOR_WHATSAPP_ACCESS_TOKEN",
  "OPENCLAW_CONNECTOR_WHATSAPP_APP_SECRET",
  "OPENCLAW_CONNECTOR_WHATSAPP_VERIFY_TOKEN"
] as const

const NON_PERSISTABLE_AUTH_ENV_VARS = [
  "CLAWDBOT_GATEWAY_TOKEN",
  "OPENCLAW_ADMIN_TOKEN",
  "OPENCLAW_BRIDGE_DEVICE_TOKEN",
  "OPENCLAW_CONNECTOR_ADMIN_TOKEN",
  "OPENCLAW_GATEWAY_TOKEN",
  "OPENCLAW_WORKER_TOKEN"
] as const

export const extractionContract = () => ({
  version: 1,
  decision: {
    id: "stay_in_repo_attached_subsystem",
    status: "recommended_now",
    go_no_go: "no_go_for_split_now",
    summary: "Ship the connector alongside its backend as an attached subsystem; do not publish it as a separate package yet.",
    future_candidate: "optional_extra_package_after_shared_contract_extraction"
  },
  candidate_packaging_options: [
    {
      id: "stay_in_repo_attached_subsystem",
      status: "recommended_now",
      summary: "The connector runs next to the backend it drives and shares its contracts."
    },
    {
      id: "optional_extra_package_after_shared_contract_extraction",
      status: "future_candidate",
      summary: "A separate optional package, once the installation, callback, delivery and config/auth seams carry their own versions."
    },
    {
      id: "sidecar_only_distribution",
      status: "no_go_now",
      summary: "Not yet: operator workflows still rely on the backend's local APIs."
    },
    {
      id: "separate_repo_or_primary_connector_package",
      status: "no_go_now",
      summary: "Not yet: the connector and the shared services still depend on each other at runtime."
    }
  ],
  minimum_stable_seam_families: [
    {
      id: "installation_registry_and_token_refs",
      summary: "Installation lifecycle, token references, tenant scoping and diagnostics.",
      entrypoints: [
        "src/ports/InstallationRegistry.ts",
        "src/adapters/http/DiagnosticsApi.ts",
        "src/adapters/http/DiagnosticsViews.ts"
      ]
    },
    {
      id: "interactive_callback_security_contract",
      summary: "Signed callback envelopes, replay and idempotency, action policy and installation resolution.",
      entrypoints: [
        "src/domain/callbacks/Envelope.ts",
        "src/domain/callbacks/EvaluateCallback.ts",
        "src/domain/callbacks/CallbackPolicy.ts",
        "src/ports/CallbackSigner.ts"
      ]
    },
    {
      id: "delivery_and_result_bridge",
      summary: "Job submission, result following and delivery over the backend's HTTP contract.",
      entrypoints: [
        "src/ports/Backend.ts",
        "src/adapters/backend/BackendHttp.ts",
        "src/adapters/delivery/DeliveryWorker.ts",
        "src/ports/ChatDelivery.ts"
      ]
    },
    {
      id: "config_auth_and_tenant_boundary",
      summary: "Runtime configuration, the admin token, tenant headers and who owns which secret.",
      entrypoints: [
        "src/adapters/config/ConnectorConfig.ts",
        "src/adapters/config/Profile.ts",
        "src/adapters/http/DiagnosticsGuard.ts"
      ]
    }
  ],
  current_blockers: [
    { id: "bidirectional_runtime_imports", summary: "Shared services and connector adapters still import each other's types." },
    { id: "shared_secret_and_state_ownership", summary: "Token refs, tenant-aware secrets and connector state are owned by shared services." },
    {
      id: "local_backend_api_contract_not_versioned_for_external_package",
      summary: "The backend HTTP contract is not yet versioned for a consumer outside the repository."
    },
    {
      id: "sidecar_runtime_still_imports_connector_package_directly",
      summary: "The sidecar runtime still loads connector modules directly."
    }
  ],
  service_env_secret_ref_boundary: {
    status: "supported_with_fail_closed_validation",
    supported_sources: ["env", "env_var", "environment"],
    portable_connector_secret_env_vars: [...PORTABLE_CONNECTOR_SECRET_ENV_VARS],
    non_persistable_auth_env_vars: [...NON_PERSISTABLE_AUTH_ENV_VARS],
    diagnostics: { raw_values_exposed: false, missing_env_fails_closed: true, legacy_marker_strings_rejected: true }
  }
})
