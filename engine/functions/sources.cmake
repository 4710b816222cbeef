list(APPEND GATEHOUSE_ENGINE_SOURCES
    functions/functiondefinition.cpp functions/functiondefinition.h
    functions/functionprojection.cpp functions/functionprojection.h
    functions/functiondecide.cpp
    functions/functioninvocation.cpp
    functions/functionservice.cpp functions/functionservice.h functions/functionservice_p.h
    functions/functionstats.cpp functions/functionstats.h
    functions/functionworker.cpp functions/functionworker.h
    functions/scriptcontext.cpp functions/scriptcontext.h
    functions/scripthost.cpp functions/scripthost.h
    functions/scriptwatchdog.cpp functions/scriptwatchdog.h)
