class AsyncPostgresDatabase: pass
