list(APPEND GATEHOUSE_ENGINE_SOURCES
    store/appendrequest.h store/appendresult.h store/recordedevent.h
    store/eventstore.cpp store/eventstore.h store/eventstore_p.h
    store/eventstorewriter.cpp
    store/walcheckpointer.cpp store/walcheckpointer.h
    store/cloudevent.cpp store/cloudevent.h
    store/eventid.cpp store/eventid.h)
