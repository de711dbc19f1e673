//! Which beats are "important" and which notify (Kuma 2.x `server/model/monitor.js`: `static
//! isImportantBeat`, `static isImportantForNotification`, `static sendNotification`). Kuma 1.23
//! has the same tables. The check chain and the push route both ask these.

use super::beat::{NotificationKind, Status};

/// `monitor.js`, `static isImportantBeat(isFirstBeat, previousBeatStatus, currentBeatStatus)`.
pub fn is_important_beat(is_first_beat: bool, previous: Option<Status>, current: Status) -> bool {
    use Status::*;
    is_first_beat
        || matches!(
            (previous, current),
            (Some(Down), Maintenance)
                | (Some(Up), Maintenance)
                | (Some(Maintenance), Down)
                | (Some(Maintenance), Up)
                | (Some(Up), Down)
                | (Some(Down), Up)
                | (Some(Pending), Down)
        )
}

/// `monitor.js`, `static isImportantForNotification(isFirstBeat, previousBeatStatus, currentBeatStatus)`.
pub fn is_important_for_notification(is_first_beat: bool, previous: Option<Status>, current: Status) -> bool {
    use Status::*;
    is_first_beat || matches!((previous, current), (Some(Maintenance), Down) | (Some(Up), Down) | (Some(Down), Up) | (Some(Pending), Down))
}

/// `monitor.js`, `static sendNotification(isFirstBeat, monitor, bean)`: sends only when
/// `!isFirstBeat || bean.status === DOWN`; the text is "Up" for an UP beat, "Down" otherwise.
pub(super) fn send_notification(is_first_beat: bool, status: Status, reminder: bool) -> Option<NotificationKind> {
    if is_first_beat && status != Status::Down {
        return None;
    }
    Some(match (status, reminder) {
        (Status::Up, _) => NotificationKind::Up,
        (_, true) => NotificationKind::DownReminder,
        (_, false) => NotificationKind::Down,
    })
}
