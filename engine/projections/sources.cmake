list(APPEND GATEHOUSE_ENGINE_SOURCES
    projections/logreadahead.cpp projections/logreadahead.h
    projections/parkedevents.cpp projections/parkedevents.h
    projections/projection.h
    projections/projectionbatch.cpp projections/projectionbatch.h
    projections/projectionrunner.cpp projections/projectionrunner.h
    projections/upsertprojection.cpp projections/upsertprojection.h)
