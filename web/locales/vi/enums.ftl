# Nhãn của các danh mục (mã theo shared/domain.md).
role-admin = Quản trị
role-controller = Ban tổ chức
role-evaluator = Ban giám khảo
role-responder = Ứng cứu viên
role-observer = Quan sát viên

system-type-internal = Phục vụ hoạt động nội bộ
system-type-citizen-business = Phục vụ người dân, doanh nghiệp
system-type-info-infra = Cơ sở hạ tầng thông tin
system-type-ics = Điều khiển công nghiệp
system-type-other = Hệ thống thông tin khác

sector-transport = Giao thông
sector-energy = Năng lượng
sector-natres-env = Tài nguyên và môi trường
sector-information = Thông tin
sector-health = Y tế
sector-finance = Tài chính
sector-banking = Ngân hàng
sector-defence = Quốc phòng
sector-security-order = An ninh, trật tự an toàn xã hội
sector-urban = Đô thị
sector-gov-direction = Chỉ đạo, điều hành của Chính phủ

dossier-status-drafting = Đang dự thảo
dossier-status-submitted = Đã gửi thẩm định
dossier-status-appraised = Đã thẩm định
dossier-status-approved = Đã được phê duyệt

category-dos = Từ chối dịch vụ
category-spoofing = Tấn công giả mạo
category-malware = Tấn công sử dụng mã độc
category-unauth-access = Truy cập trái phép, chiếm quyền điều khiển
category-defacement = Thay đổi giao diện
category-encryption = Mã hóa phần mềm, dữ liệu, thiết bị
category-destruction = Phá hoại thông tin, dữ liệu, phần mềm
category-espionage-theft = Nghe trộm, gián điệp, lấy cắp thông tin, dữ liệu
category-combined = Tấn công tổng hợp nhiều hình thức
category-other = Các hình thức tấn công khác
category-supply-chain = Tấn công chuỗi cung ứng

side-blue = Đội phòng thủ (xanh)
side-red = Đội tấn công (đỏ)

employment-in-house = Biên chế của đơn vị
employment-outsourced = Thuê ngoài

expert-group-qlattt = Quản lý ATTT
expert-group-ktpt = Kỹ thuật phòng thủ, chống tấn công
expert-group-ktbv = Kỹ thuật bảo vệ an toàn hệ thống và ứng dụng
expert-group-ktkt = Kỹ thuật kiểm tra, đánh giá ATTT

field-of-study-it = Chuyên ngành CNTT
field-of-study-infosec = Chuyên ngành ATTT
field-of-study-equivalent = Chuyên ngành tương đương

degree-postgraduate = Trên đại học
degree-bachelor = Đại học
degree-college = Cao đẳng
degree-vocational = Trung cấp

certificate-scope-international = Chứng chỉ quốc tế
certificate-scope-domestic = Chứng chỉ trong nước
