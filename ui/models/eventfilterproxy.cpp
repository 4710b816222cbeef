#include "eventfilterproxy.h"

#include "eventbuffermodel.h"

namespace Gatehouse::Ui {

EventFilterProxy::EventFilterProxy(QObject *parent)
    : QSortFilterProxyModel(parent)
{
    setDynamicSortFilter(true);
}

EventFilterProxy::~EventFilterProxy() = default;

QRegularExpression EventFilterProxy::globOf(const QString &glob)
{
    // The same glob syntax as GET /events?type=, anchored at both ends.
    if (glob.trimmed().isEmpty())
        return {};
    QRegularExpression re = QRegularExpression::fromWildcard(glob.trimmed(), Qt::CaseInsensitive);
    re.optimize();
    return re;
}

void EventFilterProxy::setTypeGlob(const QString &glob)
{
    if (glob == m_typeGlob)
        return;
    m_typeGlob = glob;
    m_type = globOf(glob);
    invalidateRowsFilter();
}

void EventFilterProxy::setSubjectGlob(const QString &glob)
{
    if (glob == m_subjectGlob)
        return;
    m_subjectGlob = glob;
    m_subject = globOf(glob);
    invalidateRowsFilter();
}

void EventFilterProxy::setText(const QString &text)
{
    const QString lower = text.trimmed().toLower();
    if (lower == m_text)
        return;
    m_text = lower;
    invalidateRowsFilter();
}

bool EventFilterProxy::isFiltering() const
{
    return !m_type.pattern().isEmpty() || !m_subject.pattern().isEmpty() || !m_text.isEmpty();
}

bool EventFilterProxy::filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const
{
    if (!isFiltering())
        return true;
    const QModelIndex index = sourceModel()->index(sourceRow, 0, sourceParent);
    if (!m_type.pattern().isEmpty()
        && !(m_type.isValid() && m_type.match(index.data(EventBufferModel::TypeRole).toString()).hasMatch()))
        return false;
    if (!m_subject.pattern().isEmpty()
        && !(m_subject.isValid() && m_subject.match(index.data(EventBufferModel::SubjectRole).toString()).hasMatch()))
        return false;
    return m_text.isEmpty() || index.data(EventBufferModel::SearchTextRole).toString().contains(m_text);
}

} // namespace Gatehouse::Ui
