export { startControlPlane, type ControlPlane, type ControlPlaneOptions } from './server.ts';
export { SelfNodePortConflictError } from './nodes/nodes.service.ts';
export { openDatabase, type Db } from './db/open-database.ts';
export { loadConfig, type RuntimeConfig } from './config.ts';
export { backupState, type BackupResult } from './maintenance/backup-state.ts';
export { pruneState, type PruneResult } from './maintenance/prune-state.ts';
export { ConfigError } from './config.ts';
export { resolveServeSettings, type RawServeSettings, type ServeSettings } from './serve/serve-settings.ts';
