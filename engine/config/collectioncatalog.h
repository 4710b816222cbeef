#pragma once

#include "projectconfig.h"

#include <QMutex>

#include <memory>
#include <optional>

namespace Gatehouse {

// The collections the engine serves right now. Readers on any thread take a snapshot (a
// shared immutable ProjectConfig); a change replaces the snapshot as a whole.
class CollectionCatalog final
{
public:
    CollectionCatalog() : m_project(std::make_shared<const ProjectConfig>()) {}

    std::shared_ptr<const ProjectConfig> snapshot() const
    {
        QMutexLocker lock(&m_mutex);
        return m_project;
    }
    void replace(ProjectConfig project)
    {
        auto next = std::make_shared<const ProjectConfig>(std::move(project));
        QMutexLocker lock(&m_mutex);
        m_project = std::move(next);
    }
    std::optional<Collection> collection(const QString &name) const
    {
        const auto project = snapshot();
        if (const Collection *c = project->collection(name))
            return *c;
        return std::nullopt;
    }

private:
    mutable QMutex m_mutex;
    std::shared_ptr<const ProjectConfig> m_project;
};

} // namespace Gatehouse
