#pragma once

#include <QtGlobal>

namespace Gatehouse {

// Every PostgreSQL advisory lock Gatehouse takes, in one place, so no two uses collide. The
// two-key form pg_advisory_lock(int4, int4) is used throughout: the first key says what kind of
// lock it is (its high 16 bits spell "GH"), the second which one of that kind.
namespace PgAdvisoryLocks {
// Transaction-scoped, held from position allocation to COMMIT: appends are serialised, so
// positions are gap-free and no reader ever sees N+1 before N.
inline constexpr qint32 kAppendClass = 0x47480001;
inline constexpr qint32 kAppendKey = 1;
// Transaction-scoped: one engine at a time runs schema migrations (second key: the component).
inline constexpr qint32 kMigrationClass = 0x47480002;
// Session-scoped, held by the owner while it lives: exactly one engine runs each projection,
// event-triggered function, interval trigger and the MQTT outbox (second key: a stable hash
// of the owned thing's name, see PgOwnership).
inline constexpr qint32 kOwnershipClass = 0x47480003;
// Transaction-scoped: a `limit-count` counter with policy "cluster" (second key: its hash).
inline constexpr qint32 kRateCounterClass = 0x47480004;
// Transaction-scoped: one engine at a time creates or drops read-model tables and indexes
// (concurrent CREATE TABLE IF NOT EXISTS of one name collide in PostgreSQL's catalog).
inline constexpr qint32 kReadModelSchemaClass = 0x47480005;
inline constexpr qint32 kReadModelSchemaKey = 1;
}

} // namespace Gatehouse
