list(APPEND GATEHOUSE_ENGINE_SOURCES
    projections/projection.h
    projections/projectionrunner.cpp projections/projectionrunner.h
    projections/upsertprojection.cpp projections/upsertprojection.h)
