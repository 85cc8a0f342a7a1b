#include "mainwindow.h"

namespace pw {
MainWindow::MainWindow(QWidget* parent)
    : QMainWindow(parent)
{
}
} // namespace pw
