//! The schema as Citus needs it (docs/SCALING.md), on whatever server the
//! tests run on: on plain PostgreSQL `distribute` does nothing and the keys
//! already contain the distribution columns; on Citus (`TEST_CITUS_NODES`,
//! scripts/citus) each table is distributed as planned.

use diesel::sql_types::Text;
use diesel_async::{AsyncConnection, AsyncPgConnection, RunQueryDsl};
use slotwise_db::citus::{DISTRIBUTED, REFERENCE, distribute_url};

#[derive(diesel::QueryableByName)]
struct Row {
    #[diesel(sql_type = Text)]
    value: String,
}

async fn texts(conn: &mut AsyncPgConnection, sql: &str) -> Vec<String> {
    diesel::sql_query(sql)
        .load::<Row>(conn)
        .await
        .expect("query")
        .into_iter()
        .map(|r| r.value)
        .collect()
}

#[tokio::test]
async fn every_key_of_a_distributed_table_holds_its_distribution_column_and_distribute_is_idempotent()
 {
    let url = slotwise_db::testing::create_test_database()
        .await
        .expect("test database");
    let mut conn = AsyncPgConnection::establish(&url).await.expect("connect");
    for (table, column, _) in DISTRIBUTED {
        let keys = texts(
            &mut conn,
            &format!(
                "SELECT pg_get_constraintdef(oid) AS value FROM pg_constraint
                 WHERE conrelid = '{table}'::regclass AND contype IN ('p', 'u', 'x')"
            ),
        )
        .await;
        assert!(!keys.is_empty(), "{table} has a key");
        for key in keys {
            assert!(key.contains(column), "{table}: {key} lacks {column}");
        }
        let identity = texts(
            &mut conn,
            &format!(
                "SELECT column_name::text AS value FROM information_schema.columns
                 WHERE table_name = '{table}' AND is_identity = 'YES'"
            ),
        )
        .await;
        assert!(
            identity.is_empty(),
            "{table} has identity columns {identity:?}"
        );
    }
    let citus = slotwise_db::citus::is_citus(&mut conn)
        .await
        .expect("citus?");
    // Done by the harness on Citus, nothing to do elsewhere: either way, nothing now.
    let again = distribute_url(&url, Some(4)).await.expect("distribute");
    assert!(again.is_empty(), "{again:?}");
    if citus {
        let placed = texts(
            &mut conn,
            "SELECT table_name::text || ' ' || citus_table_type || ' ' || distribution_column AS value
             FROM citus_tables",
        )
        .await;
        for table in REFERENCE {
            assert!(
                placed.contains(&format!("{table} reference <none>")),
                "{table}: {placed:?}"
            );
        }
        for (table, column, _) in DISTRIBUTED {
            assert!(
                placed.contains(&format!("{table} distributed {column}")),
                "{table}: {placed:?}"
            );
        }
    }
}
