#pragma once

#include "location.h"

#include <QWidget>

class QLabel;
class QPushButton;
class QTableView;

namespace Gatehouse::Ui {

class EngineClient;
class JsonRowsModel;

// The events an operator parked on one projection (GET /admin/projections/{name}/parked):
// position, type, event id, the error it failed with and when it was parked. Release forgets
// the selected one (DELETE …/parked/{position}), so the next rebuild applies it again.
// GUI thread only.
class ParkedEventsPanel final : public QWidget
{
    Q_OBJECT
    Q_DISABLE_COPY_MOVE(ParkedEventsPanel)

public:
    explicit ParkedEventsPanel(EngineClient *client, QWidget *parent = nullptr);
    ~ParkedEventsPanel() override;

    JsonRowsModel *events() const { return m_model; }
    void setProjection(const QString &name);   // refreshes
    void refresh();

Q_SIGNALS:
    void changed();   // an event was released
    void openRequested(const Gatehouse::Ui::Location &location);

private:
    void releaseSelected();
    void updateButtons();
    QString selectedKey() const;

    EngineClient *m_client;
    JsonRowsModel *m_model = nullptr;
    QTableView *m_table = nullptr;
    QPushButton *m_release = nullptr;
    QLabel *m_status = nullptr;
    QString m_projection;
    bool m_inFlight = false;
    bool m_again = false;
};

} // namespace Gatehouse::Ui
