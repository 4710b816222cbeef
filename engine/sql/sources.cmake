list(APPEND GATEHOUSE_ENGINE_SOURCES
    sql/sqliteconnection.cpp sql/sqliteconnection.h
    sql/sqlitemigrations.cpp sql/sqlitemigrations.h)
list(APPEND GATEHOUSE_ENGINE_SOURCES sql/sqlitereadpool.cpp sql/sqlitereadpool.h)
list(APPEND GATEHOUSE_ENGINE_SOURCES sql/sqlvalue.cpp sql/sqlvalue.h)
list(APPEND GATEHOUSE_ENGINE_SOURCES sql/readstatus.h sql/sqlerrorlog.cpp sql/sqlerrorlog.h)
