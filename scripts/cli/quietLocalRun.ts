/**
 * Imported first by the local entry points (npm start, chaos): ESM evaluates imports before the
 * importing module's body, so these defaults must live in a module of their own to be in place
 * before any client or Powertools instance is built at module scope.
 * Local runs print a progress line and a report, not EMF records or JSON logs; the SDK's Node 20
 * notice is noise here (versions are pinned by the lock file, and Lambda runs Node 22).
 */
process.env.POWERTOOLS_METRICS_DISABLED ??= "true";
process.env.POWERTOOLS_LOG_LEVEL ??= "SILENT";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";
