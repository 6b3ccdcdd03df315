# Kịch bản diễn tập: thư viện, trình soạn thảo, tải lên và nhập từ bảng tính (MSEL).

nav-scenarios = Kịch bản

## Thư viện
scenarios-title = Thư viện kịch bản
scenarios-intro = Các kịch bản đi kèm phần mềm và kịch bản do cơ quan, đơn vị tự xây dựng. Mỗi lần lưu tạo một phiên bản mới; mỗi cuộc diễn tập ghi lại đúng phiên bản đã dùng.
scenarios-count = { $count } kịch bản
scenarios-empty = Không có kịch bản nào phù hợp với bộ lọc.
scenarios-filter-level = Phù hợp hệ thống cấp độ
origin-shipped = Có sẵn
origin-user = Tự xây dựng

## Trường thông tin
scenario-field-id = Mã kịch bản
scenario-field-title = Tên kịch bản
scenario-field-title-vi = Tên kịch bản (tiếng Việt)
scenario-field-title-en = Tên kịch bản (tiếng Anh)
scenario-field-summary-vi = Tóm tắt (tiếng Việt)
scenario-field-summary-en = Tóm tắt (tiếng Anh)
scenario-field-category = Loại sự cố
scenario-field-min-level = Cấp độ tối thiểu
scenario-field-drill-kinds = Hình thức diễn tập
scenario-field-duration = Thời lượng
scenario-field-techniques = Kỹ thuật tấn công (MITRE ATT&CK)
scenario-field-objectives = Mục tiêu diễn tập
scenario-field-origin = Nguồn
scenario-field-version = Phiên bản
scenario-field-injects = Số tình huống

## Trang kịch bản
scenario-title = Kịch bản diễn tập
scenario-summary = Tóm tắt
scenario-facts = Thông tin chung
scenario-timeline = Dòng thời gian các tình huống
scenario-timeline-caption = Trục ngang là thời gian kể từ khi bắt đầu diễn tập (tổng thời lượng { $duration }); mỗi hàng là một nhóm người nhận.
scenario-timeline-empty = Chưa có tình huống nào được hẹn giờ để hiển thị.
scenario-manual-injects = Tình huống phát thủ công
scenario-injects = Các tình huống (inject)
scenario-expectations = Yêu cầu đối với đội
scenario-versions = Lịch sử phiên bản
scenario-saved-at = Lưu lúc
scenario-current = Hiện hành
scenario-export = Xuất tệp
scenario-export-toml = Xuất TOML
scenario-export-csv = Xuất CSV
scenario-export-xlsx = Xuất Excel
scenario-old-version = Bạn đang xem phiên bản { $shown }; phiên bản hiện hành là { $current }.
scenario-show-current = Xem phiên bản hiện hành
scenario-shipped-note = Kịch bản có sẵn được cập nhật qua tệp trong thư mục scenarios/ của phần mềm, không sửa trực tiếp trên giao diện.
inject-manual = Phát thủ công
inject-show-body = Xem nội dung
inject-playbook-step = Bước { $step } của phương án
inject-points = { $points } điểm

## Người nhận, kênh, yêu cầu, hình thức
audience-all = Tất cả
audience-blue = Đội phòng thủ
audience-red = Đội tấn công
audience-controllers = Ban tổ chức
audience-team = Đội { $slot }
audience-team-any = Đội được chỉ định
channel-soc-alert = Cảnh báo từ SOC
channel-email = Thư điện tử
channel-phone-call = Cuộc gọi điện thoại
channel-news = Tin tức, báo chí
channel-ticket = Phiếu yêu cầu hỗ trợ
channel-situation-update = Cập nhật tình huống
expect-detect = Phát hiện
expect-acknowledge = Xác nhận đã nhận
expect-report = Báo cáo
expect-contain = Ngăn chặn
expect-manual = Ban tổ chức đánh giá
drill-kind-live-fire = Diễn tập thực chiến
drill-kind-tabletop = Diễn tập trên bàn
drill-kind-functional = Diễn tập chức năng

## Trình soạn thảo
scenario-new-title = Soạn kịch bản mới
scenario-edit-title = Sửa kịch bản
scenario-form-intro = Điền thông tin chung và các tình huống. Nút “Kiểm tra” rà soát kịch bản theo đúng quy tắc của tệp kịch bản mà không lưu; nút “Lưu” lưu thành một phiên bản mới.
scenario-edit-creates-version = Khi lưu, kịch bản sẽ có phiên bản mới; phiên bản { $current } vẫn được giữ nguyên.
scenario-check-ok = Kịch bản hợp lệ. Bấm “Lưu” để lưu.
scenario-problems-heading = Kịch bản còn { $count } lỗi cần sửa:
scenario-place-scenario = Kịch bản
scenario-place-objective = Mục tiêu { $n }
scenario-place-inject = Tình huống { $n }
scenario-general = Thông tin chung
scenario-id-hint = Chữ thường không dấu, chữ số và dấu gạch ngang, ví dụ: ma-doc-tong-tien-cong-dvc. Không đổi sau khi lưu.
scenario-duration-hint = Dạng giờ:phút:giây, ví dụ 02:00:00.
scenario-techniques-hint = Mã kỹ thuật ATT&CK, cách nhau bởi dấu phẩy, ví dụ: T1566.001, T1486.
scenario-objectives-hint = Mỗi mục tiêu viết bằng cả hai thứ tiếng; dòng để trống sẽ được bỏ qua.
scenario-objective-vi = Mục tiêu (tiếng Việt)
scenario-objective-en = Mục tiêu (tiếng Anh)
scenario-injects-hint = Tình huống được phát theo thời điểm hẹn trước (tính từ khi bắt đầu diễn tập) hoặc do Ban tổ chức phát thủ công. Các nút di chuyển, xóa và thêm chỉ thay đổi biểu mẫu, chưa lưu gì.
scenario-inject-n = Tình huống { $n }
scenario-move-up = Lên trên
scenario-move-down = Xuống dưới
scenario-remove = Xóa tình huống
scenario-add-inject = Thêm tình huống
scenario-action-check = Kiểm tra
scenario-save-version = Lưu phiên bản mới
inject-field-key = Mã tình huống
inject-field-offset = Thời điểm phát
inject-offset-hint = Tính từ khi bắt đầu, dạng +giờ:phút:giây, ví dụ +00:30:00.
inject-field-manual = Ban tổ chức phát thủ công
inject-field-audience = Người nhận
inject-field-channel = Kênh
inject-field-title = Tiêu đề
inject-field-title-vi = Tiêu đề (tiếng Việt)
inject-field-title-en = Tiêu đề (tiếng Anh)
inject-field-body-vi = Nội dung (tiếng Việt)
inject-field-body-en = Nội dung (tiếng Anh)
inject-field-playbook = Phương án ứng cứu
inject-field-playbook-step = Bước trong phương án
exp-field-kind = Yêu cầu
exp-field-target = Thời hạn
exp-field-points = Điểm
exp-field-technique = Kỹ thuật cần phát hiện
exp-field-description = Mô tả
exp-field-desc-vi = Mô tả (tiếng Việt)
exp-field-desc-en = Mô tả (tiếng Anh)

## Tải lên tệp kịch bản
scenario-upload-title = Tải lên tệp kịch bản
scenario-upload-intro = Chọn một tệp kịch bản dạng TOML (mô tả trong scenarios/README.md). Tệp hợp lệ được lưu thành kịch bản mới, hoặc phiên bản mới nếu cơ quan đã có kịch bản cùng mã.
scenario-upload-file = Tệp kịch bản (.toml)
scenario-upload-submit = Tải lên và lưu
scenario-upload-problems = Tệp { $file } có { $count } lỗi, chưa lưu gì:

## Nhập từ bảng tính
scenario-import-title = Nhập từ bảng tính (MSEL)
scenario-import-intro = Chọn tệp CSV hoặc Excel (.xlsx) theo mẫu MSEL. Bước tiếp theo cho phép chọn cột nào ứng với trường nào trước khi nhập.
scenario-import-file = Tệp CSV hoặc Excel
scenario-import-metadata-from = Lấy thông tin chung từ kịch bản
scenario-import-metadata-hint = Dùng khi bảng tính chỉ có danh sách tình huống, không có phần thông tin chung của kịch bản.
scenario-import-next = Tiếp tục
scenario-import-problems = Bảng tính có { $count } lỗi, chưa nhập gì:
scenario-mapping-title = Chọn cột cho từng trường
scenario-mapping-intro = Tệp { $file }: { $rows } dòng tình huống. Kiểm tra cột nào ứng với trường nào (đã gợi ý sẵn theo tiêu đề cột), xem trước rồi nhập.
scenario-mapping-sheet = trang tính “{ $sheet }”
scenario-mapping-no-metadata = Bảng tính không có thông tin chung của kịch bản: hãy chọn một kịch bản để lấy thông tin chung.
scenario-mapping-header-row = Dòng tiêu đề
scenario-mapping-columns = Các cột của bảng tính
scenario-mapping-header = Tiêu đề cột
scenario-mapping-field = Trường tương ứng
scenario-mapping-ignore = — Bỏ qua cột này —
scenario-mapping-first-rows = Các dòng đầu tiên
scenario-mapping-row = Dòng
scenario-mapping-preview = Xem trước
scenario-mapping-import = Nhập kịch bản
msel-field-key = Mã tình huống
msel-field-offset = Thời điểm phát
msel-field-audience = Người nhận
msel-field-channel = Kênh
msel-field-title-vi = Tiêu đề (tiếng Việt)
msel-field-title-en = Tiêu đề (tiếng Anh)
msel-field-body-vi = Nội dung (tiếng Việt)
msel-field-body-en = Nội dung (tiếng Anh)
msel-field-playbook-category = Loại sự cố của phương án
msel-field-playbook-step = Bước trong phương án
msel-field-exp-kind = Yêu cầu { $n }: loại
msel-field-exp-target = Yêu cầu { $n }: thời hạn
msel-field-exp-points = Yêu cầu { $n }: điểm
msel-field-exp-technique = Yêu cầu { $n }: kỹ thuật
msel-field-exp-desc-vi = Yêu cầu { $n }: mô tả (tiếng Việt)
msel-field-exp-desc-en = Yêu cầu { $n }: mô tả (tiếng Anh)
