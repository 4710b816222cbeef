#pragma once

#include <QRegularExpression>
#include <QSortFilterProxyModel>

namespace Gatehouse::Ui {

// Filters the Events page's rows by type glob ("products.*"), subject glob and free text
// (case-insensitive, over type, subject and data), all three at once. Reads the source's
// TypeRole, SubjectRole and SearchTextRole (EventBufferModel), keeps the source's log order
// and never sorts, so new rows only ever append. GUI thread only.
class EventFilterProxy final : public QSortFilterProxyModel
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(EventFilterProxy)

public:
    explicit EventFilterProxy(QObject *parent = nullptr);
    ~EventFilterProxy() override;

    void setTypeGlob(const QString &glob);
    void setSubjectGlob(const QString &glob);
    void setText(const QString &text);
    bool isFiltering() const;

protected:
    bool filterAcceptsRow(int sourceRow, const QModelIndex &sourceParent) const override;

private:
    static QRegularExpression globOf(const QString &glob);

    QString m_typeGlob;
    QString m_subjectGlob;
    QRegularExpression m_type;      // invalid pattern or empty: no condition
    QRegularExpression m_subject;
    QString m_text;                 // lower case
};

} // namespace Gatehouse::Ui
