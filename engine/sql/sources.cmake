list(APPEND GATEHOUSE_ENGINE_SOURCES
    sql/sqliteconnection.cpp sql/sqliteconnection.h
    sql/sqlitemigrations.cpp sql/sqlitemigrations.h)
