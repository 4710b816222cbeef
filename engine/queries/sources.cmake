list(APPEND GATEHOUSE_ENGINE_SOURCES
    queries/eventlogquery.cpp queries/eventlogquery.h
    queries/queryservice.cpp queries/queryservice.h
    queries/queryworkerpool.cpp queries/queryworkerpool.h
    queries/readproblem.cpp queries/readproblem.h)
