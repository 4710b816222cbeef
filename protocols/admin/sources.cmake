list(APPEND GATEHOUSE_PROTOCOLS_SOURCES
    admin/adminapi.cpp admin/adminapi.h admin/adminresources.cpp admin/adminfunctions.cpp
    admin/adminprojections.cpp
    admin/listeners.cpp admin/listeners.h
    http/gatewayhttphandler.cpp http/gatewayhttphandler.h)
