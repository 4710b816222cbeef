list(APPEND GATEHOUSE_ENGINE_SOURCES
    gateway/apirequest.cpp gateway/apirequest.h
    gateway/apiresponse.cpp gateway/apiresponse.h
    gateway/route.cpp gateway/route.h
    gateway/routetable.cpp gateway/routetable.h
    gateway/gateway.cpp gateway/gateway.h
    gateway/defaultroutes.cpp gateway/defaultroutes.h)
