#pragma once

#include <QJsonValue>
#include <QWidget>

class QLabel;
class QLineEdit;

namespace Gatehouse::Ui {

// One member of a scenario in a form: a line edit, and beside it the engine's error about
// that member when there is one. What is typed becomes the member's value: nothing removes
// it; in a numeric field (numbers, and k6 durations that may be numbers) a number when the
// text is one and the text otherwise, so the engine, not the form, says what is wrong with it.
// GUI thread only.
class ScenarioField final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ScenarioField)

public:
    ScenarioField(const QString &member, bool numeric, QWidget *parent = nullptr);
    ~ScenarioField() override;

    QString member() const { return m_member; }
    QLineEdit *edit() const { return m_edit; }
    void setValue(const QJsonValue &value);   // no edited() signal
    void setError(const QString &message);    // empty clears it
    void addError(const QString &message);
    QString error() const;

Q_SIGNALS:
    void edited(const QJsonValue &value);      // undefined: the member is removed

private:
    QString m_member;
    bool m_numeric;
    QLineEdit *m_edit = nullptr;
    QLabel *m_error = nullptr;
};

} // namespace Gatehouse::Ui
